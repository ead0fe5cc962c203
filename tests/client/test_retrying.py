from __future__ import annotations

import email.utils

import pytest

from airflow_provider_bigin.client import RetryPolicy
from airflow_provider_bigin.client.retrying import parse_retry_after
from airflow_provider_bigin.errors import RateLimitedError, ServerError


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(date, now=1_000_000.0) == pytest.approx(30.0)


def test_backoff_grows_exponentially_within_its_jitter_and_is_capped() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=8.0)
    for retry, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        waits = [policy.backoff(retry) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered


def test_retrying_stops_after_max_attempts_and_reraises() -> None:
    calls = []

    def failing() -> None:
        calls.append(1)
        raise ServerError("boom", http_status=500)

    with pytest.raises(ServerError):
        RetryPolicy(max_attempts=3, initial_wait=0.0).retrying()(failing)
    assert len(calls) == 3


def test_retrying_honours_retry_after_over_backoff() -> None:
    policy = RetryPolicy(max_attempts=2, initial_wait=100.0, max_wait=100.0, max_elapsed=1000.0)
    waits: list[float] = []
    retrying = policy.retrying()
    retrying.sleep = waits.append
    attempts = iter([RateLimitedError("slow down", retry_after_seconds=0.25), None])

    def call() -> str:
        error = next(attempts)
        if error is not None:
            raise error
        return "done"

    assert retrying(call) == "done"
    assert waits == [0.25]


def test_retrying_gives_up_when_the_next_pause_would_pass_the_time_budget() -> None:
    calls = []

    def failing() -> None:
        calls.append(1)
        raise RateLimitedError("slow down", retry_after_seconds=60.0)

    with pytest.raises(RateLimitedError):
        RetryPolicy(max_attempts=10, max_elapsed=5.0).retrying()(failing)
    assert len(calls) == 1


def test_non_transient_errors_are_not_retried() -> None:
    calls = []

    def failing() -> None:
        calls.append(1)
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        RetryPolicy(initial_wait=0.0).retrying()(failing)
    assert len(calls) == 1
