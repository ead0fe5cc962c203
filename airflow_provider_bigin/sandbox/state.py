"""One sandbox's whole state, and how it returns to its seed."""

from __future__ import annotations

import random

from airflow_provider_bigin.sandbox.accounts import Accounts, Clock
from airflow_provider_bigin.sandbox.clients import ClientSpec
from airflow_provider_bigin.sandbox.config import SandboxConfig, check_latency, check_max_concurrency
from airflow_provider_bigin.sandbox.faults import FaultPlan, FaultProfile
from airflow_provider_bigin.sandbox.seed import SeedData, load_seed
from airflow_provider_bigin.sandbox.stats import Stats
from airflow_provider_bigin.sandbox.store import RecordStore


class SandboxState:
    """Records, accounts, counters and the realism knobs; lives on the server's event loop thread."""

    def __init__(self, config: SandboxConfig, seed: SeedData | None = None) -> None:
        self.config = config
        self.seed = seed if seed is not None else load_seed(config.seed)
        self.clients: dict[str, ClientSpec] = {client.name: client for client in self.seed.clients}
        self.stats = Stats()
        self.reset()

    def reset(self) -> None:
        """Back to the seed: records, tags, tokens, lock-outs, counters, clock and the starting knobs."""
        config = self.config
        self.clock = Clock()
        self.store = RecordStore(self.seed)
        self.accounts = Accounts(self.seed.clients, config.tokens, self.clock)
        self.stats.reset()
        self.set_latency(config.latency_ms, config.jitter_ms)
        self.set_faults(config.faults, config.fault_seed)
        self.max_concurrency = config.max_concurrency

    def set_latency(self, latency_ms: float, jitter_ms: float | None = None) -> None:
        check_latency(latency_ms, jitter_ms)
        self.latency_ms = latency_ms
        self.jitter_ms = latency_ms / 5 if jitter_ms is None else jitter_ms
        self._jitter_rng = random.Random(self.config.fault_seed)

    def latency_seconds(self) -> float:
        """This request's delay: the latency plus or minus up to the jitter, never below zero."""
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return 0.0
        delay = self.latency_ms + self._jitter_rng.uniform(-self.jitter_ms, self.jitter_ms)
        return max(0.0, delay) / 1000

    def set_faults(self, profile: FaultProfile, seed: int = 0) -> None:
        self.faults = FaultPlan(profile, seed)

    def set_max_concurrency(self, max_concurrency: int | None) -> None:
        check_max_concurrency(max_concurrency)
        self.max_concurrency = max_concurrency
