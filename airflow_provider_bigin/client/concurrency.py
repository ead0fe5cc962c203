"""How many calls one client keeps in flight: as many as Bigin's 429s say the org has room for.

Zoho caps the calls in flight per org (reported for Bigin: 10, 5 on the free plan; docs/zoho-facts.md,
section 5), not per task, so every task of a fan-out competes for the same few slots and no client can know
how many the others hold. Each one therefore finds out, as TCP does for a network's capacity, with a window
of calls in flight:

* it starts with one call and adds one per success ("slow start", doubling each round trip) until the first
  429 or `max_concurrency`, which no task may set past the org's whole cap (settings.py): 24 tasks starting
  together then send 24 calls at first, not 96;
* a 429 halves the window; below one call the window paces the calls instead (one call in flight, each
  starting about a round trip divided by the window after the one before), since 24 tasks sharing a cap of
  10 have less than one call each;
* while calls get through, the window grows by 3% per round trip of time, so that a halving is undone in
  about 23 round trips however few calls the window lets through. A fixed step ("one more after a run of
  `limit` successes") keeps 429s rare only while each task's share is a few calls: a share below one call
  needs steps in proportion to the window, and in time rather than in calls, or a paced task never
  recovers (benchmarks/RESULTS.md, section 7);
* a Retry-After pauses every new call of the client for at least what it asks.

Only a 429 to a call sent since the window last shrank shrinks it again: calls already in flight were sent
under the wider window, and their 429s say nothing new. One log line per change of the calls allowed in
flight (or of the pacing starting or ending), not per call.
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
# The narrowest window: one call per 100 round trips; and the longest a pause waits, unless Retry-After says.
MIN_WINDOW = 0.01
MAX_PAUSE_SECONDS = 30.0
# A call's round trip before any was measured (a 429 comes back at once and measures nothing).
FIRST_ROUND_TRIP_SECONDS = 0.25
_POLL_SECONDS = 0.25
# Growth counts at most this long a quiet spell: a task idle for minutes has learnt nothing of the org.
_MAX_GROWTH_SECONDS = 1.0


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
        self._not_before = 0.0
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
        return min(MAX_PAUSE_SECONDS, (self._round_trip or FIRST_ROUND_TRIP_SECONDS) / self.window)

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
                wait = self._not_before - now
                if wait <= 0 and self.in_flight < self.limit:
                    self.in_flight += 1
                    pacing = self.pacing_seconds
                    if pacing:  # the next start, jittered so that many tasks do not start in step
                        self._not_before = now + pacing * random.uniform(0.5, 1.5)  # noqa: S311
                    return Slot(self._generation, now)
                # Woken by a release or a change; a pause's end, or a stop, is seen within a quarter second.
                self._changed.wait(min(_POLL_SECONDS, wait) if wait > 0 else _POLL_SECONDS)
            return None

    def succeeded(self, slot: Slot) -> None:
        """Bigin answered the call (whatever it said of the records): the org had room for it."""
        with self._changed:
            self.in_flight -= 1
            now = self._clock()
            took = now - slot.started
            self._round_trip = took if self._round_trip is None else 0.8 * self._round_trip + 0.2 * took
            if self.adaptive and self.window < self.maximum:
                before = self.describe()
                limit, paced = self.limit, bool(self.pacing_seconds)
                self.window = min(float(self.maximum), self._grown(now))
                if not self._slow_start and (self.limit > limit or (paced and not self.pacing_seconds)):
                    log.info(
                        "Bigin took the calls without a 429: this task goes from %s to %s (at most %d).",
                        before,
                        self.describe(),
                        self.maximum,
                    )
            self._changed.notify_all()

    def _grown(self, now: float) -> float:
        """The window after one more success: +1 in slow start, else its growth since it last changed."""
        if self._slow_start:
            return self.window + 1
        round_trips = min(_MAX_GROWTH_SECONDS, now - self._grown_at) / (
            self._round_trip or FIRST_ROUND_TRIP_SECONDS
        )
        self._grown_at = now
        return self.window * math.exp(GROWTH_PER_ROUND_TRIP * round_trips)

    def rate_limited_call(self, slot: Slot, *, retry_after: float | None, reason: str) -> None:
        """Bigin answered 429: narrow the window once per change; a Retry-After pauses new calls anyway."""
        with self._changed:
            self.in_flight -= 1
            self.rate_limited += 1
            if retry_after is not None and retry_after > 0:
                self._not_before = max(self._not_before, self._clock() + retry_after)
            if self.adaptive and slot.generation == self._generation:
                before = self.describe()
                self.window = max(MIN_WINDOW, self.window / 2)
                self._generation += 1
                self._slow_start = False
                self._grown_at = self._clock()
                log.warning(
                    "Bigin answered %s: the org's calls in flight are at its cap, shared by every task, so "
                    "this task goes from %s to %s (and back up as calls get through).",
                    reason,
                    before,
                    self.describe(),
                )
            self._changed.notify_all()

    def released(self, slot: Slot) -> None:
        """The call failed otherwise (a timeout, a 5xx, a refusal): it says nothing of the org's cap."""
        with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()
