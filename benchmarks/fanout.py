"""Scenario 2: a fan-out. Many task processes on one connection start together; count the token grants.

Each task is its own Python process, like Airflow's task processes. With this provider they share one token
through the file store (cache_backend "auto" outside an Airflow task; a Variable inside one). The hand-written
tasks each fetch a token, as ways (b) and (c) do, against Zoho's budget of 10 grants per 10 minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.conditions import BenchConditions
from benchmarks.fanout_task import CONNECTION_ENV
from benchmarks.seeding import bench_sandbox, bench_seed, record_ids
from benchmarks.task_processes import run_together
from benchmarks.zoho_cost import ZohoCost

TASK_TIMEOUT_SECONDS = 120
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FanoutRun:
    kind: str  # "client" or "handwritten"
    tasks: int
    token_grants: int
    access_denied: int
    api_calls: int
    rejected: int  # 429s from the concurrency cap
    failed_tasks: int
    errors: tuple[tuple[str, int], ...]  # (exception name, tasks) of the failed ones
    seconds: float  # from "go" to the last task's end


@dataclass(frozen=True)
class FanoutResult:
    conditions: BenchConditions
    client: FanoutRun
    handwritten: FanoutRun


def _run_tasks(sb: Sandbox, conditions: BenchConditions, kind: str, token_dir: str) -> FanoutRun:
    sb.reset()
    env = {
        **os.environ,
        CONNECTION_ENV: sb.connection_json(),
        "BIGIN_TOKEN_CACHE_DIR": token_dir,
    }
    tag = conditions.tags[0]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fanout_task", kind, conditions.module, record_id, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        for record_id in record_ids(conditions.fanout_tasks)
    ]
    replies, seconds = run_together(processes, timeout=TASK_TIMEOUT_SECONDS)
    cost = ZohoCost.from_stats(sb.stats())
    errors = Counter(reply["error"] or "call refused" for reply in replies if not reply["ok"])
    return FanoutRun(
        kind=kind,
        tasks=len(processes),
        token_grants=cost.token_grants,
        access_denied=cost.access_denied,
        api_calls=cost.api_calls,
        rejected=cost.rejected,
        failed_tasks=sum(errors.values()),
        errors=tuple(sorted(errors.items())),
        seconds=seconds,
    )


def run_fanout(conditions: BenchConditions, *, progress: Callable[[str], None] = print) -> FanoutResult:
    seed = bench_seed(conditions.module, conditions.fanout_tasks, conditions.tags)
    with (
        bench_sandbox(conditions, seed) as sb,
        tempfile.TemporaryDirectory(prefix="bigin-bench-fanout-") as token_dir,
    ):
        runs = {}
        for kind in ("client", "handwritten"):
            run = _run_tasks(sb, conditions, kind, token_dir)
            runs[kind] = run
            progress(
                f"  {kind:<11} {run.tasks} tasks: {run.token_grants} grants, {run.access_denied} denied, "
                f"{run.failed_tasks} tasks failed, {run.seconds:.2f} s"
            )
    return FanoutResult(conditions=conditions, client=runs["client"], handwritten=runs["handwritten"])
