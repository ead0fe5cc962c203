"""Test-wide Airflow set-up: a throw-away AIRFLOW_HOME with a real SQLite metadata database.

The home is the one the package's own pytest plugin (``airflow_provider_bigin.sandbox.pytest_plugin``, loaded
before any conftest) makes for every suite, so the project's tests run in the Airflow a user's tests get.
Only the DAGs folder differs, set here at import time, before anything imports Airflow (which reads its
configuration once per process): DAGs under test are written as files into a temporary DAGs folder, since
Airflow 3's ``dag.test()`` runs only DAGs that its DAG bundle can parse from disk.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.sandbox.pytest_plugin import session_airflow_home

_PLUGIN_HOME = session_airflow_home()
if _PLUGIN_HOME is None:
    raise pytest.UsageError(
        "the project's tests run in the temporary AIRFLOW_HOME of the bigin pytest plugin, which made none: "
        "install the package (`make venv`) and do not disable the plugin (-p no:bigin_sandbox)"
    )
_AIRFLOW_HOME: Path = _PLUGIN_HOME
_DAGS_FOLDER = _AIRFLOW_HOME / "dags"
_DAGS_FOLDER.mkdir(exist_ok=True)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_DAGS_FOLDER)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

REPO_ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.secrets_audit"]


@pytest.fixture(autouse=True)
def _fresh_token_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Grant counts mean what they say: no token survives from another test, and none lands in $HOME."""
    from airflow_provider_bigin.client.tokens.source import forget_process_tokens

    monkeypatch.setenv("BIGIN_TOKEN_CACHE_DIR", str(tmp_path / "token-cache"))
    forget_process_tokens()
    yield
    forget_process_tokens()


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """The temporary AIRFLOW_HOME every test in this run shares."""
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db(bigin_airflow_db: str, airflow_home: Path) -> Path:
    """A migrated SQLite metadata database, created once per test run (by the plugin's fixture)."""
    return airflow_home / "airflow.db"


@dataclass(frozen=True)
class DagRunResult:
    """What a test needs from a finished ``dag.test()`` run."""

    dag_id: str
    run_id: str
    state: str
    task_states: Mapping[tuple[str, int], str]

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        """One XCom value, deserialised as a downstream task would see it."""
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            row = (
                session.query(XComModel)
                .filter_by(
                    dag_id=self.dag_id, run_id=self.run_id, task_id=task_id, key=key, map_index=map_index
                )
                .one_or_none()
            )
            if row is None:
                raise LookupError(f"no XCom {key!r} for {task_id}[{map_index}] in {self.run_id}")
            return XComModel.deserialize_value(row)

    def xcom_keys(self, task_id: str, map_index: int = -1) -> set[str]:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            rows = (
                session.query(XComModel.key)
                .filter_by(dag_id=self.dag_id, run_id=self.run_id, task_id=task_id, map_index=map_index)
                .all()
            )
            return {row[0] for row in rows}


RunDag = Callable[..., DagRunResult]


def _delete_variables() -> None:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Variable).delete()


@pytest.fixture
def run_dag(airflow_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunDag]:
    """Write a DAG file into the DAGs folder, run it with ``dag.test()`` and report the run.

    ``run_dag(source, dag_id, env={...}, run_conf={...})``: ``source`` is the DAG file's text; ``env`` is set
    for the run (connections as ``AIRFLOW_CONN_*``). The file is removed afterwards so runs stay independent.
    """
    _delete_variables()  # a token cached by an earlier test would belong to a sandbox since reset
    written: list[Path] = []

    def run(
        source: str,
        dag_id: str,
        *,
        env: Mapping[str, str] | None = None,
        run_conf: dict[str, Any] | None = None,
    ) -> DagRunResult:
        try:
            from airflow.dag_processing.dagbag import DagBag
        except ImportError:  # Airflow < 3.2
            from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        path = _DAGS_FOLDER / f"test_dag_{uuid.uuid4().hex}.py"
        path.write_text(textwrap.dedent(source))
        written.append(path)
        bag = DagBag(dag_folder=str(path))
        assert not bag.import_errors, bag.import_errors
        dag = bag.dags[dag_id]
        dag_run = dag.test(run_conf=run_conf)
        states = {(ti.task_id, ti.map_index): str(ti.state) for ti in dag_run.get_task_instances()}
        return DagRunResult(dag_id, dag_run.run_id, str(dag_run.state), states)

    yield run
    for path in written:
        path.unlink(missing_ok=True)
