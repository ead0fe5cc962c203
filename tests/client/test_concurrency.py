"""Calls in flight that follow Bigin's 429s: halved on one, raised after successes, paused at one call."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_bigin.client.concurrency import MAX_PAUSE_SECONDS, AdaptiveLimit, Slot
from airflow_provider_bigin.client.retrying import parse_retry_after
from airflow_provider_bigin.errors import PermissionDeniedError
from tests.client.conftest import MakeClient

REASON = "HTTP 429 TOO_MANY_REQUESTS"
# Its own level: another test (the benchmark's run_all) may have set the package's logger to WARNING.
LOGGER = "airflow_provider_bigin.client.concurrency"


@pytest.fixture(autouse=True)
def _logging_enabled() -> Iterator[None]:
    """INFO records reach caplog whatever an earlier test did to logging (`logging.disable`, a level)."""
    disabled, logger = logging.root.manager.disable, logging.getLogger(LOGGER)
    level, was_disabled = logger.level, logger.disabled
    logging.disable(logging.NOTSET)
    logger.disabled = False
    yield
    logging.disable(disabled)
    logger.setLevel(level)
    logger.disabled = was_disabled


def changes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.endswith("client.concurrency")]


class Clock:
    """A clock the test moves: the limit's round trips and growth are measured in its seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(limit: AdaptiveLimit, clock: Clock, *, seconds: float = 0.1, answer: str = "ok") -> None:
    """One call through the limit: let through, `seconds` of round trip, then Bigin's answer."""
    slot = limit.acquire(threading.Event())
    assert slot is not None
    clock.now += seconds
    if answer == "429":
        limit.rate_limited_call(slot, retry_after=None, reason=REASON)
    else:
        limit.succeeded(slot)


def test_slow_start_doubles_from_one_call_to_the_maximum_without_a_word(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    limit = AdaptiveLimit(8, clock=clock)
    seen = [limit.limit]
    for _ in range(9):
        call(limit, clock)
        seen.append(limit.limit)
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8, 8, 8]
    assert changes(caplog) == []


def test_a_429_halves_the_window_once_per_change_then_paces_below_one_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    limit = AdaptiveLimit(8, clock=clock)
    for _ in range(7):
        call(limit, clock)
    stop = threading.Event()
    slots = [limit.acquire(stop) for _ in range(8)]
    assert limit.in_flight == 8
    for slot in slots:  # eight 429s to calls sent under the same window: one change, not eight
        assert slot is not None
        limit.rate_limited_call(slot, retry_after=None, reason=REASON)
    assert (limit.limit, limit.in_flight, limit.rate_limited) == (4, 0, 8)
    assert len(changes(caplog)) == 1
    assert "from 8 calls in flight to 4 calls in flight" in changes(caplog)[0]
    for _ in range(4):  # 4 → 2 → 1, 1 again (a 429 alone at one call), then a half: one call every two trips
        clock.now += 1  # past the pacing's wait
        call(limit, clock, answer="429")
    assert (limit.limit, limit.window) == (1, 0.5)
    assert limit.pacing_seconds == pytest.approx(0.2)  # the round trip measured, 0.1 s, over the window
    assert "to 1 call every 0.20 s" in changes(caplog)[-1]
    assert len(changes(caplog)) == 4


def test_while_calls_get_through_the_window_grows_in_time_not_in_calls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    limit = AdaptiveLimit(10, clock=clock)
    for _ in range(3):
        call(limit, clock)  # slow start to 4
    call(limit, clock, answer="429")  # 4 → 2
    assert limit.window == 2
    for _ in range(23):  # 23 round trips of 0.1 s without a 429: a halving undone
        call(limit, clock)
    assert 3.9 < limit.window < 4.0
    raised = [m for m in changes(caplog) if "without a 429" in m]
    assert raised == [
        "Bigin took the calls without a 429: this task goes from 2 calls in flight to 3 calls in flight "
        "(at most 10).",
    ]


def test_a_stray_429_at_one_call_does_not_pace_and_two_in_a_row_do() -> None:
    clock = Clock()
    limit = AdaptiveLimit(1, clock=clock)
    for answers in (("429", "ok", "429"), ("ok", "429", "429")):
        limit.window = 1.0
        for answer in answers:
            clock.now += 10  # past any pacing
            call(limit, clock, answer=answer)
        paced = limit.window < 1
        assert paced == (answers[-2:] == ("429", "429")), (answers, limit.window)


def test_no_call_starts_past_the_limit() -> None:
    limit = AdaptiveLimit(2, adaptive=False)
    stop = threading.Event()
    first, second = limit.acquire(stop), limit.acquire(stop)
    got: list[Slot | None] = []
    waiter = threading.Thread(target=lambda: got.append(limit.acquire(stop)))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()
    assert limit.in_flight == 2
    assert first is not None
    assert second is not None
    limit.released(first)
    waiter.join(5)
    assert not waiter.is_alive()
    assert isinstance(got[0], Slot)


def test_below_one_call_each_call_waits_its_turn() -> None:
    limit = AdaptiveLimit(1)
    stop = threading.Event()
    slot = limit.acquire(stop)
    assert slot is not None
    limit.rate_limited_call(slot, retry_after=None, reason=REASON)
    slot = limit.acquire(stop)
    assert slot is not None
    limit.rate_limited_call(slot, retry_after=None, reason=REASON)  # two in a row: a half, 0.5 s apart
    started = time.monotonic()
    for _ in range(2):
        slot = limit.acquire(stop)
        assert slot is not None
        limit.released(slot)
    assert time.monotonic() - started >= 0.25  # at least half the pacing, its jitter's low end


def test_retry_after_pauses_new_calls_even_with_room_left() -> None:
    limit = AdaptiveLimit(4, adaptive=False)
    stop = threading.Event()
    slot = limit.acquire(stop)
    assert slot is not None
    started = time.monotonic()
    limit.rate_limited_call(slot, retry_after=0.5, reason=REASON)
    assert limit.acquire(stop) is not None
    assert time.monotonic() - started >= 0.5


def test_a_stopped_run_gets_no_slot() -> None:
    limit = AdaptiveLimit(1, adaptive=False)
    stop = threading.Event()
    slot = limit.acquire(stop)
    assert slot is not None
    limit.rate_limited_call(slot, retry_after=60, reason=REASON)  # a 60 s pause
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert limit.acquire(stop) is None
    assert time.monotonic() - started < 30  # the stop ended the wait, not the pause


def test_fixed_concurrency_ignores_429s() -> None:
    limit = AdaptiveLimit(4, adaptive=False)
    stop = threading.Event()
    slot = limit.acquire(stop)
    assert slot is not None
    limit.rate_limited_call(slot, retry_after=None, reason=REASON)
    assert (limit.limit, limit.rate_limited) == (4, 1)


def _tagged(sandbox: Any, count: int) -> list[str]:
    return list(
        sandbox.add_records("Contacts", [{"Last_Name": f"c{n}", "Tag": ["Old"]} for n in range(count)])
    )


def test_a_client_over_the_orgs_cap_backs_off_and_gets_every_record_right(
    bigin_sandbox: Any, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Eight calls in flight against an org cap of 2: fewer 429s than a fixed eight, every record right.

    The fixed eight exhaust some calls' retries (RATE_LIMITED); the adaptive client loses none.
    """
    caplog.set_level(logging.INFO, logger=LOGGER)
    bigin_sandbox.set_max_concurrency(2)
    bigin_sandbox.set_latency(30, jitter_ms=0)
    rejections = {}
    for adaptive in (False, True):
        ids = _tagged(bigin_sandbox, 40)
        client = make_client(
            bigin_sandbox, extra={"max_concurrency": 8}, max_ids_per_call=1, adaptive_concurrency=adaptive
        )
        client.tokens.get()  # the grant is not an API call: count the calls' 429s only
        bigin_sandbox.reset_stats()
        outcome = client.remove_tags("Contacts", ids, ["Old"])
        stats = bigin_sandbox.stats()
        assert stats["max_concurrency_seen"] <= 8
        rejections[adaptive] = stats["concurrency_rejections"]
        assert client.concurrency.rate_limited == rejections[adaptive]
        if adaptive:
            assert outcome.summary.succeeded == 40, outcome.summary
            assert all(bigin_sandbox.tags("Contacts", rid) == [] for rid in ids)
            assert client.concurrency.limit < 8
    assert rejections[True] < rejections[False]
    lowered = [m for m in changes(caplog) if "this task goes from" in m and "429" in m]
    assert lowered
    assert lowered[0].startswith("Bigin answered HTTP 429")


def test_a_retry_after_past_the_longest_pause_holds_new_calls_for_that_pause_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    limit = AdaptiveLimit(4, adaptive=False, clock=clock)
    stop = threading.Event()
    slot = limit.acquire(stop)
    assert slot is not None
    limit.rate_limited_call(slot, retry_after=3600.0, reason=REASON)
    got: list[Slot | None] = []
    waiter = threading.Thread(target=lambda: got.append(limit.acquire(stop)))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # paused
    clock.now += MAX_PAUSE_SECONDS  # the longest pause, not the hour asked for
    waiter.join(5)
    assert not waiter.is_alive()
    assert isinstance(got[0], Slot)
    assert "Retry-After 3600 s: no new call of this task starts for 30.0 s (at most 30 s" in caplog.text


def test_a_retry_after_that_is_no_number_of_seconds_is_ignored() -> None:
    for text in ("inf", "-inf", "nan", "1e400"):
        assert parse_retry_after(text) is None
    assert parse_retry_after("2.5") == 2.5


def test_growth_survives_round_trips_of_microseconds() -> None:
    clock = Clock()
    limit = AdaptiveLimit(4, clock=clock)
    call(limit, clock, seconds=0.00001)
    call(limit, clock, seconds=0.00001, answer="429")
    for _ in range(5):
        clock.now += 1.0  # a second between tiny round trips: a huge count of them
        call(limit, clock, seconds=0.00001)
    assert limit.window == 4
    assert limit.in_flight == 0


def test_a_paced_window_grows_by_the_time_between_its_calls() -> None:
    """At 0.05 of a call, calls come about 5 s apart: the success counts every round trip of that wait."""
    clock = Clock()
    limit = AdaptiveLimit(1, clock=clock)
    call(limit, clock, seconds=0.25)
    for _ in range(4):  # 1 → 1/16, each call past the pacing's wait
        clock.now += 10
        call(limit, clock, seconds=0.25, answer="429")
    limit.window = 0.05  # one call about every 5 s (jittered: 2.5 to 7.5 s) at a round trip of 0.25 s
    clock.now += 7.5  # past the pacing's longest wait
    call(limit, clock, seconds=0.25)
    # 7.75 s since the last change = 31 round trips at 3% each; in calls, it was one.
    assert limit.window == pytest.approx(0.05 * math.exp(0.03 * 31))


def test_a_call_that_waited_for_room_when_the_run_stopped_sent_nothing(
    bigin_sandbox: Any, make_client: MakeClient
) -> None:
    """Slow start lets one call through; it is refused as a whole, and the calls waiting never go out."""
    ids = _tagged(bigin_sandbox, 8)
    client = make_client(bigin_sandbox, client="noperm", extra={"max_concurrency": 4}, max_ids_per_call=2)
    client.tokens.get()
    bigin_sandbox.reset_stats()
    with pytest.raises(PermissionDeniedError) as caught:
        client.remove_tags("Contacts", ids, ["Old"])
    outcome = caught.value.outcome
    assert outcome is not None
    assert bigin_sandbox.stats()["calls"].get("remove_tags") == 1
    codes = [result.code for result in outcome.results]
    assert sorted(codes) == ["NOT_ATTEMPTED"] * 6 + ["NO_PERMISSION"] * 2
    assert not any(result.details.get("may_have_applied") for result in outcome.results)
    assert client.concurrency.in_flight == 0
