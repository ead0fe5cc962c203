"""How many calls one client keeps in flight: as many as Bigin's 429s say the org has room for.

Zoho caps the calls in flight per user and client (reported for Bigin: 10, 5 on the free plan;
docs/zoho-facts.md, section 5), that is for every task on one connection's credentials, not per task: every
task of a fan-out competes for the same few slots and no client can know how many the others hold. Each
one therefore finds out, as TCP does for a network's capacity, with a window of calls in flight:

* it starts with one call and adds one per success ("slow start", doubling each round trip) until the first
  429 or `max_concurrency`, which no task may set past the org's whole cap (settings.py): 24 tasks starting
  together then send 24 calls at first, not 96;
* a 429 halves the window, down to one call; there, 429s in a row (not a stray one) halve it further and
  the window paces the calls instead (one call in flight, each starting about a round trip divided by the
  window after the one before), since 24 tasks sharing a cap of 10 have less than one call each;
* while calls get through, the window grows by 3% per round trip of time, so that a halving is undone in
  about 23 round trips however few calls the window lets through. A fixed step ("one more after a run of
  `limit` successes") keeps 429s rare only while each task's share is a few calls: a share below one call
  needs steps in proportion to the window, and in time rather than in calls, or a paced task never
  recovers (benchmarks/RESULTS.md, section 7);
* a Retry-After pauses every new call of the client for what it asks, at most 30 s (a run is never held
  longer: calls still refused run out of their retries and end RATE_LIMITED).

Only a 429 to a call sent since the window last shrank shrinks it again: calls already in flight were sent
under the wider window, and their 429s say nothing new. One log line per change of the calls allowed in
flight (a halving, a step up to a whole call, the pacing's end) or per Retry-After pause, not per call;
slow start's steps are silent, and so are the pacing's smaller changes.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Growth per round trip of time while calls get through: a halving is undone in ln 2 / 0.03 = 23 round trips.
GROWTH_PER_ROUND_TRIP = 0.03
# The narrowest window: one call per 100 round trips; and the longest a pause waits, Retry-After included.
MIN_WINDOW = 0.01
MAX_PAUSE_SECONDS = 30.0
# A call's round trip before any was measured (a 429 comes back at once and measures nothing).
FIRST_ROUND_TRIP_SECONDS = 0.25
# A smoothed round trip below this is a local fake, not Zoho: it would make the growth's exponent explode.
MIN_ROUND_TRIP_SECONDS = 0.001
# Below one call only when 429s come in a row there: with many tasks on the cap they do; a stray one, as a
# fault or another app's burst gives, comes alone, and pacing on it would slow a task for nothing.
PACE_AFTER_429S_IN_A_ROW = 2
_POLL_SECONDS = 0.25
# Growth counts at most this many round trips at once.
_MAX_GROWTH_ROUND_TRIPS = 50.0


@dataclass(frozen=True)
class Slot:
    """A call's place in flight: when it was let through, and how often the window had shrunk by then."""

    generation: int
    started: float


class AdaptiveLimit:
    """Calls in flight for one client: bounded by `maximum`, narrowed by 429s, widened by successes.

    :param maximum: the most calls in flight (the connection's `max_concurrency`).
    :param adaptive: False keeps `maximum` in flight whatever Bigin answers (for comparisons).
    """

    def __init__(
        self,
        maximum: int,
        *,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maximum < 1:
            raise ValueError(f"maximum must be at least 1, not {maximum}")
        self.maximum = maximum
        self.adaptive = adaptive
        # Slow start: one call, one more per success (doubling each round trip) up to the first 429.
        self.window = 1.0 if adaptive else float(maximum)
        self._slow_start = adaptive
        self.in_flight = 0
        self.rate_limited = 0  # 429s heard, for the run's figures
        self._clock = clock
        self._round_trip: float | None = None  # smoothed, of the calls Bigin answered
        self._generation = 0
        self._grown_at = clock()  # when the window last changed
        self._refused_at_one = 0  # 429s in a row at one call in flight or below
        self._paused_until = 0.0  # by a Retry-After
        self._paced_until = 0.0  # the next start while the window is below one call
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        """Calls allowed in flight at once now: the window's whole part, at least 1."""
        return max(1, int(self.window))

    @property
    def pacing_seconds(self) -> float:
        """Seconds between two calls' starts while the window is below one call; 0 otherwise."""
        if self.window >= 1:
            return 0.0
        return min(MAX_PAUSE_SECONDS, self._round_trip_or_guess() / self.window)

    def _round_trip_or_guess(self) -> float:
        return max(MIN_ROUND_TRIP_SECONDS, self._round_trip or FIRST_ROUND_TRIP_SECONDS)

    def describe(self) -> str:
        """The calls allowed, in words: "4 calls in flight", or "1 call every 0.6 s"."""
        pacing = self.pacing_seconds
        if pacing:
            return f"1 call every {pacing:.2f} s"
        return f"{self.limit} call{'s' if self.limit != 1 else ''} in flight"

    def acquire(self, stop: threading.Event) -> Slot | None:
        """Wait for room under the limit and past any pause; None when `stop` was set first."""
        with self._changed:
            while not stop.is_set():
                now = self._clock()
                paced_until = self._paced_until if self.window < 1 else 0.0  # a grown window ends pacing
                wait = max(self._paused_until, paced_until) - now
                if wait <= 0 and self.in_flight < self.limit:
                    self.in_flight += 1
                    pacing = self.pacing_seconds
                    if pacing:  # the next start, jittered so that many tasks do not start in step
                        jittered = pacing * random.uniform(0.5, 1.5)  # noqa: S311
                        self._paced_until = now + min(MAX_PAUSE_SECONDS, jittered)
                    return Slot(self._generation, now)
                # Woken by a release or a change; a pause's end, or a stop, is seen within a quarter second.
                self._changed.wait(min(_POLL_SECONDS, wait) if wait > 0 else _POLL_SECONDS)
            return None

    def restarted(self, slot: Slot) -> Slot:
        """The slot with its round trip counted from now: what ran before the send is no round trip."""
        with self._changed:
            return Slot(slot.generation, self._clock())

    def succeeded(self, slot: Slot) -> None:
        """Bigin answered the call (whatever it said of the records): the org had room for it."""
        with self._changed:
            try:
                now = self._clock()
                self._refused_at_one = 0
                took = now - slot.started
                smoothed = took if self._round_trip is None else 0.8 * self._round_trip + 0.2 * took
                self._round_trip = max(MIN_ROUND_TRIP_SECONDS, smoothed)
                if self.adaptive and self.window < self.maximum:
                    self._grow(now)
            finally:
                self.in_flight -= 1
                self._changed.notify_all()

    def _grow(self, now: float) -> None:
        """+1 in slow start; else the growth of the time since the window last changed, in round trips."""
        before, limit, paced = self.describe(), self.limit, bool(self.pacing_seconds)
        if self._slow_start:
            self.window = min(float(self.maximum), self.window + 1)
            return
        # A paced call may come long after the one before: its wait counts, an idle spell does not.
        counted = min(
            now - self._grown_at, max(1.0, 2 * max(self._round_trip_or_guess(), self.pacing_seconds))
        )
        round_trips = min(_MAX_GROWTH_ROUND_TRIPS, counted / self._round_trip_or_guess())
        self._grown_at = now
        self.window = min(float(self.maximum), self.window * math.exp(GROWTH_PER_ROUND_TRIP * round_trips))
        if self.limit > limit or (paced and not self.pacing_seconds):
            log.info(
                "Bigin took the calls without a 429: this task goes from %s to %s (at most %d).",
                before,
                self.describe(),
                self.maximum,
            )

    def rate_limited_call(self, slot: Slot, *, retry_after: float | None, reason: str) -> None:
        """Bigin answered 429: narrow the window once per change; a Retry-After pauses new calls anyway."""
        with self._changed:
            try:
                self.rate_limited += 1
                now = self._clock()
                if retry_after is not None and retry_after > 0:
                    self._pause(now, retry_after, reason)
                if self.adaptive and slot.generation == self._generation:
                    self._narrow(now, reason)
            finally:
                self.in_flight -= 1
                self._changed.notify_all()

    def _pause(self, now: float, retry_after: float, reason: str) -> None:
        """No new call before Retry-After has passed, or MAX_PAUSE_SECONDS: a run is never held longer."""
        seconds = min(MAX_PAUSE_SECONDS, retry_after) if math.isfinite(retry_after) else MAX_PAUSE_SECONDS
        if now + seconds <= self._paused_until:
            return
        self._paused_until = now + seconds
        log.warning(
            "Bigin answered %s with Retry-After %s s: no new call of this task starts for %.1f s%s.",
            reason,
            f"{retry_after:g}",
            seconds,
            ""
            if seconds == retry_after
            else f" (at most {MAX_PAUSE_SECONDS:g} s; calls still refused "
            "run out of retries and end RATE_LIMITED)",
        )

    def _narrow(self, now: float, reason: str) -> None:
        """Halve the window; below one call only on a second 429 in a row there, which a lone one is not."""
        before = self.describe()
        self._generation += 1
        self._slow_start = False
        self._grown_at = now
        if self.window > 1:
            self.window = max(1.0, self.window / 2)
        else:
            self._refused_at_one += 1
            if self._refused_at_one < PACE_AFTER_429S_IN_A_ROW:
                return  # one call in flight still; a stray 429 (a fault, another app's burst) is no cap
            self.window = max(MIN_WINDOW, self.window / 2)
        log.warning(
            "Bigin answered %s (its cap on calls in flight, shared by every task on the same credentials, or "
            "its credit limit): this task goes from %s to %s, and back up as calls get through.",
            reason,
            before,
            self.describe(),
        )

    def released(self, slot: Slot) -> None:
        """The call failed otherwise (a timeout, a 5xx, a refusal): it says nothing of the org's cap."""
        with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()
