"""Scenario 7: one org's cap shared. Many task processes start together, each with the client's defaults.

Zoho caps the calls in flight per org (reported for Bigin: 10), not per task: 24 tasks at the default 4 calls
each put 96 calls in flight against 10. The same run twice, side by side: every client's calls in flight
fixed at `max_concurrency`, then adaptive (halved on a 429, raised after successes; client/concurrency.py).
The floor is the cap's own: cap x 500 ids per latency, the most records per second any client can get.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from airflow_provider_bigin.client.settings import DEFAULT_MAX_CONCURRENCY
from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.conditions import MAX_IDS_PER_CALL, BenchConditions
from benchmarks.fanout import REPO_ROOT, TASK_TIMEOUT_SECONDS
from benchmarks.fanout_task import CONNECTION_ENV
from benchmarks.seeding import EMPTY_SEED, add_bench_records, record_ids
from benchmarks.shared_cap_task import ALONE_CONCURRENCY
from benchmarks.task_processes import run_together
from benchmarks.zoho_cost import ZohoCost

MODES = ("fixed", "adaptive", "alone")


@dataclass(frozen=True)
class SharedCapRun:
    mode: str  # "fixed", "adaptive", or "alone": one client with the whole cap
    tasks: int
    asked: int  # calls in flight every task together asks for
    records: int
    api_calls: int  # every Bigin request the sandbox saw, the 429s included
    rejected: int  # answered 429 for the org's cap
    retries: int
    seconds: float  # from "go" to the last task's end
    failed: int  # records whose outcome is a failure (RATE_LIMITED once their retries ran out)
    wrong: int  # records whose outcome disagrees with the sandbox's final state: must be 0
    final_limits: tuple[int, ...]  # each task's calls in flight at its end

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.api_calls if self.api_calls else 0.0

    def records_per_second(self) -> float:
        return (self.records - self.failed) / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class SharedCapResult:
    conditions: BenchConditions
    cap: int
    max_concurrency: int  # each task's (the client's default)
    fixed: SharedCapRun
    adaptive: SharedCapRun
    alone: SharedCapRun

    @property
    def floor_records_per_second(self) -> float:
        """cap x 500 ids per latency: the cap's own ceiling on throughput."""
        return self.cap * MAX_IDS_PER_CALL / self.conditions.latency_seconds

    def share_of_floor(self, run: SharedCapRun) -> float:
        return run.records_per_second() / self.floor_records_per_second

    def runs(self) -> tuple[SharedCapRun, SharedCapRun, SharedCapRun]:
        return self.fixed, self.adaptive, self.alone


def _start(
    mode: str, module: str, span: tuple[int, int], tag: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    """A task removing `tag` from the benchmark records span[0] to span[0] + span[1] - 1."""
    first, count = span
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.shared_cap_task", mode, module, str(first), str(count), tag],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


def _run_mode(sb: Sandbox, conditions: BenchConditions, mode: str, tag: str, token_dir: str) -> SharedCapRun:
    tasks, per_task = conditions.shared_cap_tasks, conditions.shared_cap_ids_per_task
    each = ALONE_CONCURRENCY if mode == "alone" else DEFAULT_MAX_CONCURRENCY
    if mode == "alone":
        tasks, per_task = 1, tasks * per_task
    env = {**os.environ, CONNECTION_ENV: sb.connection_json(), "BIGIN_TOKEN_CACHE_DIR": token_dir}
    processes: list[subprocess.Popen[str]] = [
        _start(mode, conditions.module, (index * per_task, per_task), tag, env) for index in range(tasks)
    ]
    # The token was had before "ready": count the calls alone.
    replies, seconds = run_together(processes, timeout=TASK_TIMEOUT_SECONDS * 5, when_ready=sb.reset_stats)
    cost = ZohoCost.from_stats(sb.stats())
    failed = {record_id for reply in replies for record_id in reply["failed"]}
    ids = record_ids(tasks * per_task)
    records = sb.records(conditions.module)
    still_tagged = {rid for rid in ids if tag in {t["name"] for t in records[rid]["Tag"]}}
    return SharedCapRun(
        mode=mode,
        tasks=tasks,
        asked=tasks
        * min(each, math.ceil(per_task / MAX_IDS_PER_CALL)),  # a task has no more calls than its ids
        records=len(ids),
        api_calls=cost.api_calls,
        rejected=cost.rejected,
        retries=sum(int(reply["retries"]) for reply in replies),
        seconds=seconds,
        failed=len(failed),
        wrong=len(failed ^ still_tagged),
        final_limits=tuple(int(reply["final_limit"]) for reply in replies),
    )


def run_shared_cap(
    conditions: BenchConditions, *, progress: Callable[[str], None] = print
) -> SharedCapResult:
    total = conditions.shared_cap_tasks * conditions.shared_cap_ids_per_task
    with (
        Sandbox(
            process=True,
            seed=EMPTY_SEED,
            latency_ms=conditions.latency_ms,
            max_concurrency=conditions.max_concurrency,
        ) as sb,
        tempfile.TemporaryDirectory(prefix="bigin-bench-shared-cap-") as token_dir,
    ):
        tags = (*conditions.tags, "Shared cap")[: len(MODES)]
        add_bench_records(sb, conditions.module, total, tags)
        runs = {}
        for mode, tag in zip(MODES, tags, strict=True):  # each run removes a tag of its own
            run = _run_mode(sb, conditions, mode, tag, token_dir)
            runs[mode] = run
            progress(
                f"  {mode:<8} {run.tasks} tasks, {run.records:,} ids: {run.api_calls} calls, {run.rejected} "
                f"429s ({run.rejected_share:.0%}), {run.retries} retries, {run.failed} failed, "
                f"{run.seconds:.2f} s"
            )
    return SharedCapResult(
        conditions=conditions,
        cap=conditions.max_concurrency,
        max_concurrency=DEFAULT_MAX_CONCURRENCY,
        fixed=runs["fixed"],
        adaptive=runs["adaptive"],
        alone=runs["alone"],
    )
