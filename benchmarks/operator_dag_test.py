"""Operator benchmark runs under ``dag.test()``, in a process of their own; each writes what it saw as JSON.

`python -m benchmarks.operator_dag_test PLAN`, PLAN a JSON file listing runs (`dag_id`, `ids`, `label`,
`output`), with AIRFLOW_HOME (a migrated SQLite database), the DAGs folder and the connection in the
environment. Under dag.test() the task runner, its supervisor and the execution API all live in this process,
so its peak RSS (VmHWM) is theirs together; the peak is reset before each run (a run that follows another
starts from what that one left resident). A line ``BENCH RUN <label>`` in the output starts each run's log.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.operator_dag import CONSUME_TASK, PRODUCE_TASK, REMOVE_TASK
from benchmarks.process_peaks import reset_peak, status_kib
from benchmarks.xcom_table import xcom_bytes

RUN_MARKER = "BENCH RUN "


def _consumer_value(dag_id: str, run_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_id, run_id=run_id, task_id=CONSUME_TASK, key="return_value")
            .one_or_none()
        )
        return None if row is None else XComModel.deserialize_value(row)


def _run(dag: Any, dag_id: str, ids: int, label: str) -> dict[str, Any]:
    gc.collect()
    reset_peak(os.getpid())
    dag_run = dag.test(run_conf={"ids": ids, "label": label})
    tasks = {
        ti.task_id: {
            "state": str(ti.state),
            "start": ti.start_date.timestamp() if ti.start_date else None,
            "end": ti.end_date.timestamp() if ti.end_date else None,
        }
        for ti in dag_run.get_task_instances()
    }
    peak_kib = status_kib(os.getpid())
    database = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    sizes = xcom_bytes(database, dag_id, dag_run.run_id)
    return {
        "run_id": dag_run.run_id,
        "tasks": tasks,
        "consumer": _consumer_value(dag_id, dag_run.run_id),
        "xcom_bytes": {key: size for (task, key), size in sizes.items() if task == REMOVE_TASK},
        "ids_xcom_bytes": sizes.get((PRODUCE_TASK, "return_value"), 0),
        "peak_kib": peak_kib,
    }


def main(argv: list[str]) -> int:
    (plan_path,) = argv
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow < 3.2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef,attr-defined,unused-ignore]

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    dags: dict[str, Any] = {}
    for entry in plan:
        dag_id = entry["dag_id"]
        if dag_id not in dags:
            bag = DagBag(dag_folder=str(folder / f"{dag_id}.py"))
            if bag.import_errors:
                raise RuntimeError(f"the benchmark DAG failed to import: {bag.import_errors}")
            dags[dag_id] = bag.dags[dag_id]
        print(f"{RUN_MARKER}{entry['label']}", flush=True)
        reply = _run(dags[dag_id], dag_id, int(entry["ids"]), entry["label"])
        written = Path(entry["output"] + ".tmp")
        written.write_text(json.dumps(reply), encoding="utf-8")
        written.replace(entry["output"])  # whole, never half-written, when the benchmark sees it
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
