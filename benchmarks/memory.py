"""Scenario 4: memory. Peak RSS of a process whose client removes tags from a million real records.

The sandbox (its own process) is seeded with that many records, each carrying the tags, so every reply is a
full SUCCESS entry with its tag list, the largest shape a reply takes. The child's peak RSS counts the
interpreter and the input ids as well as the client's plan, replies and results; the figures say each part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.conditions import BenchConditions
from benchmarks.fanout_task import CONNECTION_ENV
from benchmarks.memory_task import CONCURRENCY_ENV
from benchmarks.seeding import EMPTY_SEED, add_bench_records, bench_sandbox
from benchmarks.zoho_cost import ZohoCost

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024


@dataclass(frozen=True)
class MemoryResult:
    ids: int
    imported_mib: float  # RSS after importing the client, before the ids exist
    before_mib: float  # RSS with the ids in a list, before the run
    peak_mib: float  # the process's peak RSS
    results: int
    succeeded: int
    api_calls: int
    sandbox_calls: int
    seconds: float

    @property
    def run_mib(self) -> float:
        """What the run itself added at its peak: plan, replies in flight, results."""
        return self.peak_mib - self.before_mib


def run_memory(conditions: BenchConditions, *, progress: Callable[[str], None] = print) -> MemoryResult:
    count = conditions.memory_ids
    with (
        bench_sandbox(conditions, EMPTY_SEED) as sb,
        tempfile.TemporaryDirectory(prefix="bigin-bench-memory-") as token_dir,
    ):
        add_bench_records(sb, conditions.module, count, conditions.tags)
        env = {
            **os.environ,
            CONNECTION_ENV: sb.connection_json(),
            CONCURRENCY_ENV: str(conditions.max_concurrency),
            "BIGIN_TOKEN_CACHE_DIR": token_dir,
        }
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory_task", conditions.module, str(count), *conditions.tags],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            check=False,
            timeout=600,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"the memory task failed:\n{completed.stderr[-2000:]}")
        cost = ZohoCost.from_stats(sb.stats())
    reply = json.loads(completed.stdout.strip().splitlines()[-1])
    result = MemoryResult(
        ids=count,
        imported_mib=reply["imported_kib"] / MIB,
        before_mib=reply["before_kib"] / MIB,
        peak_mib=reply["peak_kib"] / MIB,
        results=reply["results"],
        succeeded=reply["succeeded"],
        api_calls=reply["api_calls"],
        sandbox_calls=cost.api_calls,
        seconds=reply["seconds"],
    )
    progress(
        f"  {count:,} ids: peak RSS {result.peak_mib:.0f} MiB (ids in memory: {result.before_mib:.0f} MiB, "
        f"run added {result.run_mib:.0f} MiB), {result.succeeded:,} succeeded in {result.seconds:.1f} s"
    )
    return result
