"""Scenario 6: a Zoho-like profile. 250 ms per request, the organisation's cap of 10 calls in flight.

At 50 ms the sandbox is the bottleneck: it is one event loop that needs about 8 ms per 500-id call, so 200
calls cannot end before 1.7 s while the latency bound is 1.0 s, and no client can reach that bound. At 250 ms
the bound (5 s for 200 calls, 10 at a time) is three times the sandbox's own work, as against Zoho, whose
servers are not one event loop: there the client can be held to the bound. Only the client (a) and the bare
calls run, cold as in scenario 1, so each run's time includes its one token request (one more round trip).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from benchmarks.conditions import BenchConditions
from benchmarks.tag_removal import TagRemovalResult, run_tag_removal


def zoho_conditions(conditions: BenchConditions) -> BenchConditions:
    """The run's conditions at the Zoho-like latency, at one N; the cap and the client's concurrency kept."""
    return dataclasses.replace(
        conditions,
        name=f"{conditions.name}, Zoho-like",
        sizes=(conditions.zoho_size,),
        latency_ms=conditions.zoho_latency_ms,
    )


def cold_bound_seconds(result: TagRemovalResult) -> float:
    """The least time a cold run can take: one token round trip, then the calls in rounds of the cap."""
    conditions = result.conditions
    return conditions.latency_seconds + conditions.floor_seconds(conditions.zoho_size)


def run_zoho_profile(
    conditions: BenchConditions, *, progress: Callable[[str], None] = print
) -> TagRemovalResult:
    return run_tag_removal(zoho_conditions(conditions), progress=progress, ways=("a",))
