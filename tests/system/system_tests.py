"""What the system tests share: Airflow's ``tests/system`` convention, without Airflow's ``tests_common``.

A system test is a DAG file that ends with ``test_run = get_test_run(dag)``: pytest collects that function
(conftest.py collects the ``example_*.py`` files here, as Airflow's own configuration does), and it runs the
DAG once with ``dag.test()`` in the session's Airflow, against the live Bigin account the environment names.
Without one, every test here is skipped with a reason that names the variables to set.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun
    from airflow.sdk import DAG

CONN_ID = "bigin_system_test"
CONN_VARIABLE = "AIRFLOW_CONN_BIGIN_SYSTEM_TEST"
RECORD_ID_VARIABLE = "BIGIN_SYSTEM_TEST_RECORD_ID"
MODULE_VARIABLE = "BIGIN_SYSTEM_TEST_MODULE"
DEFAULT_MODULE = "Contacts"
#: The task whose return value is the run's report, printed at the end of the pytest run.
REPORT_TASK_ID = "report"

#: The reports of this session's runs, for conftest.py's terminal summary.
REPORTS: list[str] = []


def missing_variables(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The variables a live run needs and the environment lacks (the module has a default)."""
    return [name for name in (CONN_VARIABLE, RECORD_ID_VARIABLE) if not environ.get(name, "").strip()]


def skip_reason(missing: list[str]) -> str:
    return (
        f"no live Bigin account: set {' and '.join(missing)} to run the system tests "
        f"({CONN_VARIABLE}: a `bigin` connection as an Airflow URI or JSON; {RECORD_ID_VARIABLE}: the id of "
        f"one record that may get a temporary tag; {MODULE_VARIABLE}: its module, default {DEFAULT_MODULE}). "
        "See docs/system-test.md."
    )


def record_module(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(MODULE_VARIABLE, "").strip() or DEFAULT_MODULE


@contextmanager
def in_dags_folder(dag: DAG) -> Iterator[None]:
    """The DAG's file copied into Airflow's DAGs folder for the run: dag.test() runs only a DAG that the
    folder's bundle parses (tests/conftest.py); the copy is removed afterwards."""
    from airflow.configuration import conf

    source = Path(dag.fileloc)
    folder = Path(conf.get("core", "dags_folder"))
    if folder in source.parents:
        yield
        return
    copy = folder / f"system_test_{source.stem}_{uuid.uuid4().hex[:8]}.py"
    shutil.copyfile(source, copy)
    try:
        yield
    finally:
        copy.unlink(missing_ok=True)


def _xcom(dag_run: DagRun, task_id: str, key: str = "return_value") -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_run.dag_id, run_id=dag_run.run_id, task_id=task_id, key=key, map_index=-1)
            .one_or_none()
        )
        return None if row is None else XComModel.deserialize_value(row)


def task_states(dag_run: DagRun) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def get_test_run(dag: DAG) -> Callable[[], None]:
    """The pytest function of a system-test DAG file: one ``dag.test()`` run, its report printed."""

    def test_run() -> None:
        missing = missing_variables()
        if missing:
            pytest.skip(skip_reason(missing))
        with in_dags_folder(dag):
            dag_run = dag.test()
        states = task_states(dag_run)
        report = _xcom(dag_run, REPORT_TASK_ID) or f"(the {REPORT_TASK_ID} task left no report)"
        shown = "\n".join(
            [str(report), "", f"DAG run {dag_run.run_id}: {dag_run.state}"]
            + [f"  {task_id}: {state}" for task_id, state in states.items()]
        )
        print(shown)  # the run's report, for `pytest -s` and a failure's captured output
        REPORTS.append(shown)
        assert str(dag_run.state) == "success", shown

    return test_run


def watcher() -> Any:
    """Airflow's watcher task: it fails the run when any other task failed.

    A teardown with trigger rule all_done succeeds after a failed step and would leave the run green; put
    ``list(dag.tasks) >> watcher()`` last in the DAG.
    """
    from airflow.sdk import TriggerRule, task

    @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def watcher() -> None:
        raise RuntimeError("a step of the system test failed: see the task states and the report")

    return watcher()
