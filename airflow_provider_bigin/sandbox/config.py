"""Every knob a sandbox starts with, checked once, before any server starts."""

from __future__ import annotations

from dataclasses import dataclass, field

from airflow_provider_bigin.sandbox.accounts import TokenPolicy
from airflow_provider_bigin.sandbox.faults import NO_FAULTS, FaultProfile
from airflow_provider_bigin.sandbox.seed import SeedSource
from airflow_provider_bigin.sandbox.store import DEFAULT_TAGS_REPORT, TAGS_REPORTS, TagsReport

# Where the control endpoints live: never counted, never delayed, never faulted.
CONTROL_PREFIX = "/__sandbox__"
# Bigin's reported cap on calls in flight per org (docs/zoho-facts.md, section 5): every test meets it.
DEFAULT_MAX_CONCURRENCY = 10


@dataclass(frozen=True)
class SandboxConfig:
    seed: SeedSource = None
    latency_ms: float = 0.0
    jitter_ms: float | None = None  # None: a fifth of the latency
    faults: FaultProfile = NO_FAULTS
    fault_seed: int = 0
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    max_concurrency: int | None = DEFAULT_MAX_CONCURRENCY  # None: no cap
    tags_report: TagsReport = DEFAULT_TAGS_REPORT
    api_domain: str | None = None  # None: the URL the client called, i.e. the sandbox itself

    def __post_init__(self) -> None:
        check_latency(self.latency_ms, self.jitter_ms)
        check_max_concurrency(self.max_concurrency)
        policy = self.tokens
        for name in ("token_ttl", "lockout_seconds", "grant_window_seconds", "grant_code_ttl"):
            if getattr(policy, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(policy, name)}")
        for name in ("grant_limit", "max_live_tokens"):
            if getattr(policy, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(policy, name)}")
        if self.tags_report not in TAGS_REPORTS:
            raise ValueError(f"tags_report must be one of {TAGS_REPORTS}, not {self.tags_report!r}")


def check_latency(latency_ms: float, jitter_ms: float | None) -> None:
    if latency_ms < 0:
        raise ValueError(f"latency_ms must not be negative, not {latency_ms}")
    if jitter_ms is not None and jitter_ms < 0:
        raise ValueError(f"jitter_ms must not be negative, not {jitter_ms}")


def check_max_concurrency(max_concurrency: int | None) -> None:
    if max_concurrency is not None and max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1 (or None for no cap), not {max_concurrency}")
