"""The operator in a real Airflow deployment: API server, scheduler with the LocalExecutor, DAG processor.

Every XCom travels task runner -> supervisor (the LocalExecutor worker) -> the API server's execution API,
whose calls time out after the default 5 s, -> the SQLite metadata database; the downstream task pulls them
back the same way. `PeakWatcher` follows each process's peak RSS while the operator task and its downstream
task run.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any

from benchmarks.operator_dag import (
    CONSUME_TASK,
    PRODUCE_TASK,
    REMOVE_TASK,
    RESULTS_PATH_VARIANT,
    VARIANTS,
    dag_id,
)
from benchmarks.operator_figures import (
    DEPLOYMENT,
    MIB,
    OperatorRun,
    count_lines,
    failure_reason,
    read_timings,
    task_split,
)
from benchmarks.operator_setting import DEFAULT_BACKEND, OperatorSetting
from benchmarks.process_peaks import PeakWatcher
from benchmarks.xcom_table import xcom_bytes
from tests.deployment.airflow_deployment import AirflowDeployment

PARALLELISM = 2  # the three tasks of a run go one after another; fewer idle workers, less memory
DAG_TIMEOUT_SECONDS = 180
RUN_TIMEOUT_SECONDS = 900


def _timestamp(value: str | None) -> float | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _mib(kib: int | None) -> float | None:
    return None if not kib else kib / MIB


class OperatorDeployment:
    """One deployment for many runs of the benchmark DAGs; a context manager that stops everything."""

    def __init__(
        self, setting: OperatorSetting, *, xcom_backend: str = DEFAULT_BACKEND, variants: tuple[str, ...] = ()
    ) -> None:
        self.setting = setting
        self.xcom_backend = xcom_backend
        self.variants = variants or tuple(VARIANTS)
        name = xcom_backend.replace(" ", "-")
        self.home = setting.root / f"deployment-home-{name}"
        env = {**setting.connection_env(), **setting.xcom_backend_env(xcom_backend)}
        self.airflow = AirflowDeployment(self.home, setting.dags, env=env, parallelism=PARALLELISM)
        self._watcher: PeakWatcher | None = None

    def __enter__(self) -> OperatorDeployment:
        self.airflow.start()
        try:
            for variant in self.variants:
                self.airflow.api.wait_for_dag(dag_id(variant), timeout=DAG_TIMEOUT_SECONDS)
            api_pids = self.airflow.processes["api-server"].members()
            self._watcher = PeakWatcher(self.airflow.processes["scheduler"].pid, api_pids).__enter__()
        except BaseException:
            self.airflow.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._watcher is not None:
            self._watcher.__exit__(None, None, None)
        self.airflow.stop()

    def leftover_pids(self) -> list[int]:
        return self.airflow.leftover_pids()

    def run(self, variant: str, size: int, repeat: int = 0) -> OperatorRun:
        setting, api = self.setting, self.airflow.api
        label = setting.label(DEPLOYMENT, self.xcom_backend, variant, size, repeat)
        dag = dag_id(variant)
        run_id = api.trigger_dag(dag, conf={"ids": size, "label": label})
        setting.start_run(label, size)  # while Airflow schedules and starts the upstream task
        api.wait_for_run(dag, run_id, timeout=RUN_TIMEOUT_SECONDS)
        tis = {ti["task_id"]: ti for ti in api.task_instances(dag, run_id)}
        remove, consume = tis[REMOVE_TASK], tis[CONSUME_TASK]
        consumer: dict[str, Any] = {}
        if consume["state"] == "success":
            consumer = api.xcom(dag, run_id, CONSUME_TASK) or {}
        seconds, execute, push = task_split(
            _timestamp(remove["start_date"]),
            _timestamp(remove["end_date"]),
            read_timings(setting.timings / f"{label}.json"),
        )
        peaks = self._watcher.by_task_instance(remove["id"]) if self._watcher else None
        consumer_peaks = self._watcher.by_task_instance(consume["id"]) if self._watcher else None
        upstream = self._watcher.by_task_instance(tis[PRODUCE_TASK]["id"]) if self._watcher else None
        api_kib = max(peaks.api_kib if peaks else 0, consumer_peaks.api_kib if consumer_peaks else 0)
        sizes = xcom_bytes(self.home / "airflow.db", dag, run_id)
        state = str(remove["state"])
        return OperatorRun(
            mode=DEPLOYMENT,
            variant=variant,
            size=size,
            state=state,
            consumer_state=str(consume["state"]),
            task_seconds=seconds,
            execute_seconds=execute,
            push_seconds=push,
            pull_seconds=consumer.get("pull_seconds"),
            records_returned=consumer.get("records"),
            summary=consumer.get("summary"),
            xcom_bytes={key: value for (task, key), value in sizes.items() if task == REMOVE_TASK},
            results_lines=(
                count_lines(setting.results / f"{label}.jsonl") if variant == RESULTS_PATH_VARIANT else None
            ),
            api_calls=setting.remove_calls(),
            runner_mib=_mib(peaks.runner_kib if peaks else None),
            supervisor_mib=_mib(peaks.supervisor_kib if peaks else None),
            api_server_mib=_mib(api_kib),
            supervisor_start_mib=_mib(peaks.supervisor_start_kib if peaks else None),
            api_server_start_mib=_mib(peaks.api_start_kib if peaks else None),
            upstream_api_server_mib=_mib(upstream.api_kib if upstream else None),
            ids_xcom_bytes=sizes.get((PRODUCE_TASK, "return_value"), 0),
            xcom_backend=self.xcom_backend,
            error="" if state == "success" else failure_reason(self._task_log(dag, run_id, REMOVE_TASK)),
            consumer_error=(
                ""
                if state != "success" or consume["state"] == "success"
                else failure_reason(self._task_log(dag, run_id, CONSUME_TASK))
            ),
        )

    def _task_log(self, dag: str, run_id: str, task_id: str) -> str:
        folder = self.home / "logs" / f"dag_id={dag}" / f"run_id={run_id}" / f"task_id={task_id}"
        paths = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
        return "\n".join(path.read_text(errors="replace") for path in paths)
