"""Scenario 4: memory. Peak RSS of a process whose client removes tags from a million real records.

The sandbox (its own process) holds that many records, each carrying the tags, so every reply is a full
SUCCESS entry with its tag list, the largest shape a reply takes. The child's peak RSS counts the interpreter
and the input ids as well as the client's plan, replies and results; the figures say each part. The client
runs twice: keeping every result, and handing them to a sink (JSON Lines on disk) as calls settle, which keeps
only the failed ones; what the second adds per record beyond the id list is the sink's target. The operator
scenario runs the same child at its sizes against its sandbox, so the memory figures are measured there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.conditions import BenchConditions
from benchmarks.fanout_task import CONNECTION_ENV
from benchmarks.memory_task import CONCURRENCY_ENV, SINK_PATH_ENV
from benchmarks.zoho_cost import ZohoCost

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024
TASK_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class MemoryResult:
    ids: int
    imported_mib: float  # RSS after importing the client, before the ids exist
    before_mib: float  # RSS with the ids in a list, before the run
    peak_mib: float  # the process's peak RSS
    results: int  # results the outcome holds (with a sink: only the failed ones)
    succeeded: int
    api_calls: int
    sandbox_calls: int
    seconds: float
    cpu_seconds: float = 0.0  # the child's CPU time during the run, all its threads
    sink: bool = False  # the results went to a sink writing JSON Lines
    lines: int | None = None  # lines the sink wrote

    @property
    def run_mib(self) -> float:
        """What the run itself added at its peak: plan, replies in flight, results."""
        return self.peak_mib - self.before_mib

    @property
    def bytes_per_record(self) -> float:
        """The run's peak growth beyond the id list, per record."""
        return self.run_mib * 1024 * 1024 / self.ids if self.ids else 0.0


@dataclass(frozen=True)
class MemoryScenario:
    """The client at `ids` records twice: every result kept, and every result handed to a sink."""

    without_sink: MemoryResult
    with_sink: MemoryResult


def run_client_alone(
    sb: Sandbox, conditions: BenchConditions, count: int, *, work_dir: Path, sink: bool
) -> MemoryResult:
    """The client in a child process on the first `count` records of `sb` (which must hold them, tagged).

    Each run gets its own token cache, so it starts cold, as (a) does; the sandbox's counters are reset first.
    """
    token_dir = Path(tempfile.mkdtemp(dir=work_dir, prefix="tokens-"))
    sink_path = work_dir / f"client-{count}-results.jsonl"
    env = {
        **os.environ,
        CONNECTION_ENV: sb.connection_json(),
        CONCURRENCY_ENV: str(conditions.max_concurrency),
        "BIGIN_TOKEN_CACHE_DIR": str(token_dir),
    }
    if sink:
        env[SINK_PATH_ENV] = str(sink_path)
    sb.reset_stats()
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_task", conditions.module, str(count), *conditions.tags],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        check=False,
        timeout=TASK_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the client task failed:\n{completed.stderr[-2000:]}")
    sink_path.unlink(missing_ok=True)
    cost = ZohoCost.from_stats(sb.stats())
    reply = json.loads(completed.stdout.strip().splitlines()[-1])
    return MemoryResult(
        ids=count,
        imported_mib=reply["imported_kib"] / MIB,
        before_mib=reply["before_kib"] / MIB,
        peak_mib=reply["peak_kib"] / MIB,
        results=reply["results"],
        succeeded=reply["succeeded"],
        api_calls=reply["api_calls"],
        sandbox_calls=cost.api_calls,
        seconds=reply["seconds"],
        cpu_seconds=reply["cpu_seconds"],
        sink=sink,
        lines=reply["lines"],
    )
