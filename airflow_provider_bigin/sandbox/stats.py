"""Counters a test or a benchmark reads back: calls per endpoint, grants, denials, credits, concurrency."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    """Everything ``GET /__sandbox__/stats`` reports. Control endpoints never count here."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.calls: Counter[str] = Counter()
        self.status_codes: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.token_grants = 0
        self.access_denied = 0
        self.credits = 0
        self.concurrency_rejections = 0
        self.max_concurrency_seen = self.in_flight

    def request_started(self, endpoint: str, *, counts_concurrency: bool) -> None:
        self.requests += 1
        self.calls[endpoint] += 1
        if counts_concurrency:
            self.in_flight += 1
            self.max_concurrency_seen = max(self.max_concurrency_seen, self.in_flight)

    def request_finished(self, *, counts_concurrency: bool) -> None:
        if counts_concurrency:
            self.in_flight -= 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "calls": dict(self.calls),
            "status_codes": dict(self.status_codes),
            "faults": dict(self.faults),
            "token_grants": self.token_grants,
            "access_denied": self.access_denied,
            "credits": self.credits,
            "concurrency_rejections": self.concurrency_rejections,
            "max_concurrency_seen": self.max_concurrency_seen,
            "in_flight": self.in_flight,
        }
