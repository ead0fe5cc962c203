"""A dead host ends the run after one call's retries, loudly, and no record says it may have applied.

Real sockets on loopback: a port held bound, never listening (for the Bigin API, then for Zoho Accounts), and
the sandbox stopped in the middle of a run. Each run is bounded by a short retry policy; the bounds asserted
are behavioural (one call's retry budget plus a margin), never benchmarks.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.results import NOT_ATTEMPTED, SERVER_ERROR, TRANSPORT_ERROR
from airflow_provider_bigin.errors import HostUnreachableError
from tests.dead_ports import refused_url

# One call's retry budget: 4 attempts, pauses of at most 0.2 s, nothing started after 1.5 s.
BUDGET = RetryPolicy(max_attempts=4, initial_wait=0.1, max_wait=0.2, max_elapsed=1.5)
IDS = [str(2445013000000000000 + n) for n in range(10_000)]  # 20 calls of 500
MARGIN_SECONDS = 3.0  # a loaded machine's slack; the old behaviour cost 20 x the budget


def client_for(sandbox: Any, **extra: Any) -> BiginClient:
    connection = sandbox.connection()
    settings = ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra={**connection["extra"], **extra}
    )
    return BiginClient(settings, token_store=MemoryTokenStore(), retry=BUDGET)


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "attempt " in r.getMessage()
    ]


def test_a_bigin_host_that_was_never_there_costs_one_calls_retries_and_names_host_and_cause(
    bigin_sandbox_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with refused_url() as dead:  # refuses connections for the whole run
        sandbox = bigin_sandbox_factory(api_domain=dead)  # its tokens name the dead host as their API domain
        with client_for(sandbox, api_domain=dead, max_concurrency=4) as client:
            started = time.monotonic()
            with pytest.raises(HostUnreachableError) as caught:
                client.remove_tags("Contacts", IDS, ["Stale"])
            took = time.monotonic() - started

    error = caught.value
    assert (error.host, error.cause) == (dead, "connection refused")
    assert dead in error.message
    assert "connection refused" in error.message
    assert "were not sent (NOT_ATTEMPTED)" in error.message
    assert "retrying the task is safe" in error.message
    assert took < BUDGET.max_elapsed + MARGIN_SECONDS, took
    outcome = error.outcome
    assert outcome is not None
    assert len(outcome.results) == len(IDS)
    codes = [result.code for result in outcome.results]
    # At most the calls in flight met the dead host; every later call was never started.
    assert set(codes) == {TRANSPORT_ERROR, NOT_ATTEMPTED}
    assert codes.count(TRANSPORT_ERROR) <= 4 * 500
    assert codes.count(NOT_ATTEMPTED) >= len(IDS) - 4 * 500
    assert not any(result.details.get("may_have_applied") for result in outcome.results)
    tried = next(result for result in outcome.results if result.code == TRANSPORT_ERROR)
    assert "nothing was sent, so nothing changed" in tried.message
    assert outcome.summary.api_calls <= 4 * BUDGET.max_attempts
    # Loud: one WARNING per retry, naming the call, the attempt, the cause and the wait; one ERROR to stop.
    lines = retry_lines(caplog)
    assert 1 <= len(lines) <= 4 * (BUDGET.max_attempts - 1)
    assert all(
        "could not be reached (connection refused); retrying in" in line and dead in line for line in lines
    ), lines
    assert any(line.startswith("batch 1/20: attempt 1/4 failed: HostUnreachableError: ") for line in lines)
    stops = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("The run starts no further calls" in line and dead in line for line in stops), stops
    assert sandbox.stats()["calls"].get("remove_tags", 0) == 0  # the sandbox saw none of it


def test_an_accounts_host_that_was_never_there_ends_the_run_before_any_call(
    bigin_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with refused_url() as dead, client_for(bigin_sandbox, accounts_url=dead, max_concurrency=4) as client:
        with pytest.raises(HostUnreachableError) as caught:
            client.remove_tags("Contacts", IDS, ["Stale"])
        grants = client.tokens.grants

    error = caught.value
    assert error.host == dead
    assert dead in error.message
    assert "after 0 API calls" in error.message
    outcome = error.outcome
    assert outcome is not None
    assert {result.code for result in outcome.results} == {NOT_ATTEMPTED}
    assert len(outcome.results) == len(IDS)
    assert not any(result.details.get("may_have_applied") for result in outcome.results)
    assert outcome.summary.api_calls == 0
    assert grants == 3  # the grant's own three attempts, once for the whole run: not once per call
    lines = retry_lines(caplog)
    assert len(lines) == 2, lines
    assert all(": attempt " in line and f"{dead} could not be reached" in line for line in lines), lines
    assert bigin_sandbox.stats()["token_grants"] == 0


def test_a_sandbox_stopped_mid_run_ends_it_at_once_and_keeps_what_was_done(
    bigin_sandbox_factory: Any,
) -> None:
    sandbox = bigin_sandbox_factory(latency_ms=300, jitter_ms=0)  # calls last long enough to stop in between
    ids = sandbox.add_records("Contacts", [{"Last_Name": f"r{n}", "Tag": ["Stale"]} for n in range(3_000)])
    stopped_at: list[float] = []

    def stop_after_the_second_call(report: Any) -> None:
        if report.index == 2 and not stopped_at:
            sandbox.stop()
            stopped_at.append(time.monotonic())

    with client_for(sandbox, max_concurrency=1) as client:
        client.retry = BUDGET
        with pytest.raises(HostUnreachableError) as caught:
            client.run(
                client.plan("remove_tags", "Contacts", ids, ["Stale"]), on_batch=stop_after_the_second_call
            )
        took_after_stop = time.monotonic() - stopped_at[0]

    outcome = caught.value.outcome
    assert outcome is not None
    assert [r.id for r in outcome.results] == ids
    codes = [result.code for result in outcome.results]
    assert codes[:1000] == ["SUCCESS"] * 1000  # the two calls before the stop; the third was in flight
    assert set(codes[1000:]) <= {"SUCCESS", TRANSPORT_ERROR, SERVER_ERROR, NOT_ATTEMPTED}
    assert codes[-500:] == [NOT_ATTEMPTED] * 500  # the last call never started
    for result in outcome.results[1000:]:
        if result.code in (TRANSPORT_ERROR, SERVER_ERROR):
            # May have applied only if an attempt of its call reached the stopping server.
            assert ("may or may not have applied" in result.message) == result.details["may_have_applied"]
    assert took_after_stop < BUDGET.max_elapsed + MARGIN_SECONDS, took_after_stop
