"""The operator under ``dag.test()``: child processes on one migrated SQLite database.

dag.test() runs every task inside its own process, through an in-process execution API: no API server, no
network between task and Airflow, no execution API timeout. What it costs is the process's peak RSS and time.
The runs of one batch share a child (Airflow's start-up, some 15 s, is paid once); each run starts when its
go file is written, after the sandbox is ready for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.operator_dag import CONSUME_TASK, REMOVE_TASK, RESULTS_PATH_VARIANT, dag_id
from benchmarks.operator_dag_test import RUN_MARKER
from benchmarks.operator_figures import (
    DAG_TEST,
    MIB,
    OperatorRun,
    count_lines,
    failure_reason,
    read_timings,
    task_split,
)
from benchmarks.operator_setting import DEFAULT_BACKEND, OperatorSetting

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATE_TIMEOUT_SECONDS = 300
RUN_TIMEOUT_SECONDS = 1200  # one run, Airflow's start-up included
EXIT_TIMEOUT_SECONDS = 120
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class PlannedRun:
    variant: str
    size: int
    label: str

    @property
    def dag_id(self) -> str:
        return dag_id(self.variant)


def airflow_home(setting: OperatorSetting) -> Path:
    return setting.root / "dag-test-home"


def migrate(setting: OperatorSetting) -> None:
    """A fresh AIRFLOW_HOME with a migrated SQLite database, shared by every dag.test() run."""
    home = airflow_home(setting)
    home.mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    completed = subprocess.run(
        [airflow, "db", "migrate"],
        env=setting.child_env(home),
        capture_output=True,
        text=True,
        check=False,
        timeout=MIGRATE_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"`airflow db migrate` failed:\n{completed.stderr[-2000:]}")


def _run_log(log_text: str, label: str) -> str:
    """The part of a child's output that belongs to one run."""
    start = log_text.find(f"{RUN_MARKER}{label}\n")
    if start < 0:
        return log_text
    end = log_text.find(RUN_MARKER, start + len(RUN_MARKER))
    return log_text[start : end if end >= 0 else len(log_text)]


def _figures(
    setting: OperatorSetting, planned: PlannedRun, backend: str, reply: dict[str, Any], log: str
) -> OperatorRun:
    task = reply["tasks"][REMOVE_TASK]
    consume = reply["tasks"][CONSUME_TASK]
    consumer = reply["consumer"] or {}
    timings = read_timings(setting.timings / f"{planned.label}.json")
    seconds, execute, push = task_split(task["start"], task["end"], timings)
    state, consumer_state = task["state"], consume["state"]
    results = setting.results / f"{planned.label}.jsonl"
    return OperatorRun(
        mode=DAG_TEST,
        variant=planned.variant,
        size=planned.size,
        state=state,
        consumer_state=consumer_state,
        task_seconds=seconds,
        execute_seconds=execute,
        push_seconds=push,
        pull_seconds=consumer.get("pull_seconds"),
        records_returned=consumer.get("records"),
        summary=consumer.get("summary"),
        xcom_bytes=reply["xcom_bytes"],
        ids_xcom_bytes=reply["ids_xcom_bytes"],
        results_lines=count_lines(results) if planned.variant == RESULTS_PATH_VARIANT else None,
        api_calls=setting.remove_calls(),
        runner_mib=reply["peak_kib"] / MIB,
        xcom_backend=backend,
        error="" if state == "success" else failure_reason(log),
        consumer_error="" if state != "success" or consumer_state == "success" else failure_reason(log),
    )


def run_dag_tests(
    setting: OperatorSetting, runs: list[tuple[str, int]], *, xcom_backend: str = DEFAULT_BACKEND
) -> list[OperatorRun]:
    """(variant, size) runs one after another in one child process, on one XCom backend."""
    planned = [
        PlannedRun(variant, size, setting.label(DAG_TEST, xcom_backend, variant, size))
        for variant, size in runs
    ]
    batch = planned[0].label
    plan_path, log_path = setting.root / f"{batch}.plan.json", setting.root / f"{batch}.log"
    outputs = {run.label: setting.root / f"{run.label}.out.json" for run in planned}
    plan = [
        {"dag_id": run.dag_id, "ids": run.size, "label": run.label, "output": str(outputs[run.label])}
        for run in planned
    ]
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    figures = []
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.operator_dag_test", str(plan_path)],
            env=setting.child_env(airflow_home(setting), xcom_backend),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
        try:
            for run in planned:
                setting.start_run(run.label, run.size)  # while the child starts Airflow or ends the last run
                reply = _wait_for(outputs[run.label], child, log_path)
                log_text = _run_log(log_path.read_text(errors="replace"), run.label)
                figures.append(_figures(setting, run, xcom_backend, reply, log_text))
            child.wait(timeout=EXIT_TIMEOUT_SECONDS)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=EXIT_TIMEOUT_SECONDS)
    if child.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the dag.test() child {batch} failed:\n{tail}")
    return figures


def _wait_for(output: Path, child: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while not output.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            reason = "exited" if child.poll() is not None else f"took over {RUN_TIMEOUT_SECONDS} s"
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the dag.test() child {reason} before writing {output.name}:\n{tail}")
        time.sleep(_POLL_SECONDS)
    reply: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return reply
