"""The records a benchmark removes tags from: many Contacts with Zoho-shaped ids and a few tags each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_bigin.sandbox import Sandbox

if TYPE_CHECKING:
    from benchmarks.conditions import BenchConditions

# 19-digit ids in Zoho's shape (organisation prefix, zero-padded serial), above the demo data's range.
ID_PREFIX = "2445013"
FIRST_SERIAL = 500_000_000
KEPT_TAG = "VIP"  # a tag no run removes, so that every record keeps one and the replies stay realistic
# Records per control request when adding records to a running sandbox (a few MB of JSON each).
ADD_CHUNK = 100_000
EMPTY_SEED: dict[str, Any] = {"base": "empty"}


def record_ids(count: int) -> list[str]:
    """The ids of the first `count` benchmark records, in the order they are seeded."""
    return [f"{ID_PREFIX}{FIRST_SERIAL + index:012d}" for index in range(count)]


def bench_records(count: int, tags: tuple[str, ...]) -> list[dict[str, Any]]:
    """`count` records, each carrying `tags` and KEPT_TAG."""
    tag_list = [*tags, KEPT_TAG]
    return [
        {"id": record_id, "Last_Name": f"Bench {index}", "Tag": tag_list}
        for index, record_id in enumerate(record_ids(count))
    ]


def bench_seed(module: str, count: int, tags: tuple[str, ...]) -> dict[str, Any]:
    """A sandbox seed holding only the benchmark records (what `reset()` returns to)."""
    return {"base": "empty", "records": {module: bench_records(count, tags)}}


def add_bench_records(sb: Sandbox, module: str, count: int, tags: tuple[str, ...]) -> None:
    """Add the records to a running sandbox: for a million records, much quicker than a seed file,
    which both this process and the sandbox's would parse."""
    records = bench_records(count, tags)
    for start in range(0, count, ADD_CHUNK):
        sb.add_records(module, records[start : start + ADD_CHUNK])


def bench_sandbox(conditions: BenchConditions, seed: dict[str, Any]) -> Sandbox:
    """The sandbox every scenario measures against: its own process, the run's latency and concurrency cap."""
    return Sandbox(
        process=True,
        seed=seed,
        latency_ms=conditions.latency_ms,
        max_concurrency=conditions.max_concurrency,
    )
