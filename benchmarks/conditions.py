"""The conditions of a benchmark run: sizes, network latency, the concurrency cap, repetitions.

The full run follows the published targets (README, Benchmarks); the quick run keeps every scenario but
shrinks sizes and latency so that the benchmark code runs in CI and cannot rot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Bigin's limit on records per Remove Tags call (https://www.zoho.com/bigin/developer/docs/apis/api-limits.html).
MAX_IDS_PER_CALL = 500


@dataclass(frozen=True)
class BenchConditions:
    """One set of knobs for every scenario of a run."""

    name: str
    sizes: tuple[int, ...]  # N records per tag-removal run
    latency_ms: float  # the sandbox's latency per API request (jitter: a fifth of it, the sandbox default)
    max_concurrency: int  # the sandbox's cap on requests in flight, and the client's concurrency
    repeats: int  # runs of (a) and (c) at each N, taking turns; the median time is reported
    loop_real_max: int  # the per-record loop (b) runs for real up to this N ...
    loop_sample: int  # ... and above it on this many records, extrapolated to N
    fanout_tasks: int  # task processes starting together on one connection
    import_repeats: int  # fresh interpreters per import measurement (the median is reported)
    memory_ids: int  # ids in the memory scenario
    operator_sizes: tuple[int, ...]  # N of the operator runs, under dag.test() and in a deployment
    defaults_size: (
        int  # in the deployment, the operator with its defaults runs `defaults_runs` times at this N
    )
    defaults_runs: int
    # return_records="all" from this N on runs on common-io's object-storage XCom backend, not the default
    # one: on the default one a million records' return value (197 MB) costs GBs in every process and fails.
    object_storage_all_from: int
    zoho_latency_ms: float  # the Zoho-like profile: this latency ...
    zoho_size: int  # ... at this N, with the same concurrency cap
    shared_cap_tasks: int  # task processes sharing the org's cap, each with the client's defaults ...
    shared_cap_ids_per_task: int  # ... removing a tag from this many ids
    module: str = "Contacts"
    tags: tuple[str, ...] = ("Newsletter", "Marketing")  # removed in every run; each record also keeps "VIP"

    @property
    def latency_seconds(self) -> float:
        return self.latency_ms / 1000.0

    def floor_calls(self, size: int) -> int:
        """The fewest calls that can carry `size` ids: ceil(N/500)."""
        return math.ceil(size / MAX_IDS_PER_CALL)

    def floor_seconds(self, size: int) -> float:
        """The latency-bound time: the calls in rounds of `max_concurrency`, one latency per round.

        This is the target's ceil(N/500) x latency / concurrency whenever the calls fill whole rounds;
        when they do not (1,000 ids make 2 calls), no run can take less than one round trip, so the round
        is counted.
        """
        return math.ceil(self.floor_calls(size) / self.max_concurrency) * self.latency_seconds


FULL = BenchConditions(
    name="full",
    sizes=(1_000, 10_000, 100_000),
    latency_ms=50.0,
    max_concurrency=10,
    repeats=3,
    loop_real_max=1_000,
    loop_sample=100,
    fanout_tasks=30,
    import_repeats=5,
    memory_ids=1_000_000,
    operator_sizes=(10_000, 100_000, 1_000_000),
    defaults_size=100_000,
    defaults_runs=5,
    object_storage_all_from=1_000_000,
    zoho_latency_ms=250.0,
    zoho_size=100_000,
    shared_cap_tasks=24,
    shared_cap_ids_per_task=10_000,
)

QUICK = BenchConditions(
    name="quick",
    sizes=(300, 1_200),
    latency_ms=2.0,
    max_concurrency=10,
    repeats=1,
    loop_real_max=300,
    loop_sample=40,
    fanout_tasks=6,
    import_repeats=1,
    memory_ids=20_000,
    operator_sizes=(1_200,),
    defaults_size=1_200,
    defaults_runs=2,
    object_storage_all_from=1_200,
    zoho_latency_ms=10.0,
    zoho_size=5_000,
    shared_cap_tasks=6,
    shared_cap_ids_per_task=1_500,
)
