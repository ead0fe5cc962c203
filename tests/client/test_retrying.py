from __future__ import annotations

import email.utils
import logging
import threading
import time

import pytest

from airflow_provider_bigin.client import RetryPolicy
from airflow_provider_bigin.client.retrying import RetryStopped, failure_reason, parse_retry_after
from airflow_provider_bigin.errors import HostUnreachableError, RateLimitedError, ServerError, TransportError


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


def test_every_retry_is_one_warning_naming_the_call_the_attempt_the_cause_and_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors = iter(
        [
            ServerError("boom", code="INTERNAL_ERROR", http_status=500),
            HostUnreachableError("no", host="http://127.0.0.1:9", cause="connection refused"),
        ]
    )

    def call() -> str:
        error = next(errors, None)
        if error is not None:
            raise error
        return "done"

    retrying = RetryPolicy(max_attempts=5, initial_wait=0.01, max_wait=0.01).retrying(label="batch 3/20")
    with caplog.at_level(logging.WARNING):
        assert retrying(call) == "done"
    lines = [record.getMessage() for record in caplog.records]
    assert [record.levelname for record in caplog.records] == ["WARNING", "WARNING"]
    assert lines[0].startswith("batch 3/20: attempt 1/5 failed: HTTP 500 INTERNAL_ERROR; retrying in 0.0")
    assert lines[1].startswith(
        "batch 3/20: attempt 2/5 failed: HostUnreachableError: http://127.0.0.1:9 could not be reached "
        "(connection refused); retrying in"
    )


def test_a_pause_between_attempts_ends_as_soon_as_the_run_is_being_stopped() -> None:
    stop = threading.Event()
    calls = []

    def failing() -> None:
        calls.append(time.monotonic())
        threading.Timer(0.05, stop.set).start()
        raise ServerError("boom", http_status=503)

    policy = RetryPolicy(max_attempts=3, initial_wait=60.0, max_wait=60.0, max_elapsed=600.0)
    started = time.monotonic()
    with pytest.raises(RetryStopped):
        policy.retrying(stop_event=stop)(failing)
    assert len(calls) == 1  # the woken pause started no attempt
    assert time.monotonic() - started < 30  # a 30 s to 60 s pause did not run its course


def test_failure_reasons_come_from_typed_fields_never_from_a_servers_text() -> None:
    said = ServerError("Bigin failed (HTTP 502: <html>secret page</html>)", http_status=502)
    assert failure_reason(said) == "HTTP 502"
    assert failure_reason(TransportError("the reply was lost")) == "TransportError: the reply was lost"


def test_a_retry_line_names_a_zoho_code_only_when_it_looks_like_one() -> None:
    from airflow_provider_bigin.client.retrying import failure_reason
    from airflow_provider_bigin.errors import ServerError

    assert (
        failure_reason(ServerError("x", code="INTERNAL_ERROR", http_status=500)) == "HTTP 500 INTERNAL_ERROR"
    )
    echoed = ServerError("x", code="oops\r\nsecret=1000.abc def", http_status=503)
    assert failure_reason(echoed) == "HTTP 503"
