"""Scenario 5: one RemoveTagsOperator between an upstream and a downstream task, up to a million ids.

For each N and each way of returning the records (operator_dag.VARIANTS), the same DAG runs under dag.test()
and in a real deployment (API server, scheduler with the LocalExecutor, DAG processor), against one sandbox
at the run's latency; the client alone (BiginClient in a process of its own, with and without a sink) runs
at the same N beside them. The memory scenario's figures are the client alone at its N, measured here too.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.conditions import BenchConditions
from benchmarks.dag_test_runs import migrate, run_dag_tests
from benchmarks.deployment_runs import OperatorDeployment
from benchmarks.memory import MemoryResult, MemoryScenario, run_client_alone
from benchmarks.operator_dag import VARIANTS, write_dags
from benchmarks.operator_figures import OperatorRun
from benchmarks.operator_setting import DEFAULT_BACKEND, OBJECT_STORAGE_BACKEND, OperatorSetting
from benchmarks.seeding import EMPTY_SEED, add_bench_records, bench_sandbox

DEFAULTS_VARIANT = "auto"  # the operator with every argument at its default
ALL_VARIANT = "all"
# The variants in the order they run: "all" last, as it leaves the most behind in a long-lived process.
RUN_ORDER = tuple(sorted(VARIANTS, key=lambda variant: variant == ALL_VARIANT))
# From this N on, each dag.test() run gets a fresh process: a million records' run leaves GBs resident.
OWN_PROCESS_FROM = 500_000


@dataclass(frozen=True)
class OperatorResult:
    conditions: BenchConditions
    runs: tuple[OperatorRun, ...]  # every run, repeats included
    clients: tuple[MemoryResult, ...]  # the client alone at each N, with and without a sink
    leftover_pids: tuple[int, ...]  # deployment processes alive after it stopped (none expected)
    seconds: float  # the whole scenario, deployments' start-up included

    def repeats(self, mode: str, variant: str, size: int) -> list[OperatorRun]:
        return [run for run in self.runs if (run.mode, run.variant, run.size) == (mode, variant, size)]

    def run(self, mode: str, variant: str, size: int) -> OperatorRun | None:
        """The run of median task time among the repeats; None when it was not run."""
        runs = sorted(self.repeats(mode, variant, size), key=lambda run: run.task_seconds or 0.0)
        return runs[(len(runs) - 1) // 2] if runs else None

    def client(self, size: int, *, sink: bool) -> MemoryResult:
        return next(client for client in self.clients if client.ids == size and client.sink == sink)

    def memory(self) -> MemoryScenario:
        """The memory scenario: the client alone at memory_ids, every result kept and through a sink."""
        size = self.conditions.memory_ids
        return MemoryScenario(
            without_sink=self.client(size, sink=False), with_sink=self.client(size, sink=True)
        )


def xcom_backend_for(conditions: BenchConditions, variant: str, size: int) -> str:
    """Where return_value goes: for "all" from `object_storage_all_from` ids on, object storage."""
    if variant == ALL_VARIANT and size >= conditions.object_storage_all_from:
        return OBJECT_STORAGE_BACKEND
    return DEFAULT_BACKEND


def _progress_line(run: OperatorRun) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    def mib(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    note = f" ({run.error})" if run.error else ""
    backend = "" if run.xcom_backend == DEFAULT_BACKEND else f" [{run.xcom_backend}]"
    return (
        f"  {run.mode:<11} N={run.size:>9,} {run.variant:<12}{backend} {run.state}{note}; execute "
        f"{seconds(run.execute_seconds)} s, push {seconds(run.push_seconds)} s, pull "
        f"{seconds(run.pull_seconds)} s ({run.consumer_state}); peak MiB runner {mib(run.runner_mib)}, "
        f"supervisor {mib(run.supervisor_mib)}, API server {mib(run.api_server_mib)}"
    )


def _client_runs(
    setting: OperatorSetting, sizes: list[int], progress: Callable[[str], None]
) -> list[MemoryResult]:
    clients = []
    for size in sizes:
        for sink in (False, True):
            setting.prepare_run(size)
            client = run_client_alone(
                setting.sandbox, setting.conditions, size, work_dir=setting.root, sink=sink
            )
            clients.append(client)
            progress(
                f"  client alone N={size:>9,} {'sink' if sink else 'no sink'}: {client.seconds:.1f} s, "
                f"peak RSS {client.peak_mib:.0f} MiB ({client.bytes_per_record:.0f} B per record beyond the "
                "ids)"
            )
    return clients


def _deployment_plan(conditions: BenchConditions, backend: str) -> list[tuple[str, int, int]]:
    """(variant, size, repeat) in order: "all" on the default backend last of all, since what it leaves
    resident in the API server would otherwise inflate every later run's peak."""
    plan = [
        (variant, size, repeat)
        for size in conditions.operator_sizes
        for variant in RUN_ORDER
        if xcom_backend_for(conditions, variant, size) == backend
        for repeat in range(
            conditions.defaults_runs if (variant, size) == (DEFAULTS_VARIANT, conditions.defaults_size) else 1
        )
    ]
    return sorted(plan, key=lambda run: run[0] == ALL_VARIANT)  # stable: sizes stay ascending


def _deployment_runs(
    setting: OperatorSetting, backend: str, progress: Callable[[str], None]
) -> tuple[list[OperatorRun], list[int]]:
    plan = _deployment_plan(setting.conditions, backend)
    if not plan:
        return [], []
    runs = []
    variants = tuple(dict.fromkeys(variant for variant, _, _ in plan))
    with OperatorDeployment(setting, xcom_backend=backend, variants=variants) as deployment:
        for variant, size, repeat in plan:
            runs.append(deployment.run(variant, size, repeat))
            progress(_progress_line(runs[-1]))
    return runs, deployment.leftover_pids()


def _dag_test_batches(conditions: BenchConditions) -> list[tuple[str, list[tuple[str, int]]]]:
    """(XCom backend, runs) per child process: one per N and backend, one per run from OWN_PROCESS_FROM."""
    batches: list[tuple[str, list[tuple[str, int]]]] = []
    for size in conditions.operator_sizes:
        by_backend: dict[str, list[tuple[str, int]]] = {}
        for variant in RUN_ORDER:
            by_backend.setdefault(xcom_backend_for(conditions, variant, size), []).append((variant, size))
        for backend, runs in by_backend.items():
            if size >= OWN_PROCESS_FROM:
                batches += [(backend, [run]) for run in runs]
            else:
                batches.append((backend, runs))
    return batches


def run_operators(conditions: BenchConditions, *, progress: Callable[[str], None] = print) -> OperatorResult:
    started = time.perf_counter()
    sizes = conditions.operator_sizes
    client_sizes = sorted({*sizes, conditions.memory_ids})
    with (
        tempfile.TemporaryDirectory(prefix="bigin-bench-operator-") as root,
        bench_sandbox(conditions, EMPTY_SEED) as sb,
    ):
        setting = OperatorSetting(conditions, sb, Path(root))
        setting.make_folders()
        add_bench_records(sb, conditions.module, max(client_sizes), conditions.tags)
        write_dags(
            setting.dags,
            module=conditions.module,
            tags=conditions.tags,
            timings_dir=setting.timings,
            results_dir=setting.results,
        )
        clients = _client_runs(setting, client_sizes, progress)
        migrate(setting)
        runs: list[OperatorRun] = []
        for backend, batch in _dag_test_batches(conditions):
            for run in run_dag_tests(setting, batch, xcom_backend=backend):
                runs.append(run)
                progress(_progress_line(run))
        leftovers: list[int] = []
        for backend in (DEFAULT_BACKEND, OBJECT_STORAGE_BACKEND):
            deployed, left = _deployment_runs(setting, backend, progress)
            runs += deployed
            leftovers += left
    return OperatorResult(
        conditions=conditions,
        runs=tuple(runs),
        clients=tuple(clients),
        leftover_pids=tuple(leftovers),
        seconds=time.perf_counter() - started,
    )
