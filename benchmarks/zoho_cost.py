"""What a run cost Zoho, read from the sandbox's counters: API calls, token grants, credits, refusals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Calls to Zoho Accounts; everything else the sandbox counts is a Bigin API call.
ACCOUNTS_ENDPOINTS = frozenset({"token", "revoke"})


@dataclass(frozen=True)
class ZohoCost:
    """The sandbox's counters for one run (taken after `reset_stats()`)."""

    api_calls: int  # Bigin API requests, including any the sandbox refused
    token_grants: int  # access tokens minted
    access_denied: int  # grants refused by the token budget
    credits: int  # API credits charged (the sandbox's model of Zoho's)
    rejected: int  # requests refused with 429 for exceeding the concurrency cap
    max_concurrency_seen: int

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> ZohoCost:
        calls = stats.get("calls", {})
        return cls(
            api_calls=sum(int(n) for name, n in calls.items() if name not in ACCOUNTS_ENDPOINTS),
            token_grants=int(stats["token_grants"]),
            access_denied=int(stats.get("access_denied", 0)),
            credits=int(stats["credits"]),
            rejected=int(stats.get("concurrency_rejections", 0)),
            max_concurrency_seen=int(stats.get("max_concurrency_seen", 0)),
        )
