"""Fixtures for running the tag operators in real DAGs (dag.test(), SQLite metadata DB) on the sandbox."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.client.tokens.source import KEY_PREFIX

DAG_HEADER = """
import json
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_bigin.operators.tags import AddTagsOperator, RemoveTagsOperator
from airflow_provider_bigin.client.tokens.source import forget_process_tokens


def as_a_fresh_worker(context):
    # Every task starts as a new worker process would: nothing in this process's token memory, so a
    # token can only come from the shared store (an Airflow Variable) or from a new grant.
    forget_process_tokens()


START = pendulum.datetime(2024, 1, 1)
"""


def dag_source(body: str, **values: Any) -> str:
    """A DAG file: the shared header, then `body` with each ``__NAME__`` replaced by the JSON of a value."""
    for name, value in values.items():
        body = body.replace(f"__{name.upper()}__", json.dumps(value))
    return DAG_HEADER + body


def _delete_bigin_variables() -> None:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Variable).filter(Variable.key.like(f"{KEY_PREFIX}%")).delete(synchronize_session=False)


@pytest.fixture
def operator_env(airflow_db: Path, bigin_sandbox: Any) -> dict[str, str]:
    """The sandbox as bigin_default (cache_backend auto: an Airflow Variable inside tasks), and its
    read-only client as bigin_readonly."""
    _delete_bigin_variables()
    return {
        **bigin_sandbox.connection_env(),
        **bigin_sandbox.connection_env("bigin_readonly", client="readonly"),
    }


@pytest.fixture
def warehouse(tmp_path: Path) -> Any:
    """A SQLite 'warehouse' holding flagged Bigin ids, and the connection env var that reaches it."""

    def build(ids: Sequence[str]) -> dict[str, str]:
        path = tmp_path / "warehouse.db"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE flagged (position INTEGER, bigin_id TEXT)")
            db.executemany("INSERT INTO flagged VALUES (?, ?)", list(enumerate(ids)))
        conn = {"conn_type": "sqlite", "host": str(path)}
        return {"AIRFLOW_CONN_WAREHOUSE": json.dumps(conn)}

    return build


@dataclass(frozen=True)
class TaskLogs:
    """What the task logs of a dag.test() run said: Airflow's structlog output and stdlib records."""

    text: str

    def lines(self, needle: str) -> list[str]:
        return [line for line in self.text.splitlines() if needle in line]


@pytest.fixture
def task_logs(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Any:
    """Read everything the run logged so far.

    Under dag.test() the task runner writes task logs (operator and hook loggers) through structlog to the
    process's stdout; other stdlib loggers reach caplog. Both are read, so nothing logged escapes a check.
    """
    caplog.set_level("DEBUG")

    def read() -> TaskLogs:
        out, err = capfd.readouterr()
        return TaskLogs(out + err + caplog.text)

    return read


def run_artifacts(dag_id: str, run_id: str) -> dict[str, Any]:
    """Everything a run stored in the metadata DB that a user can see: XComs, rendered fields, Variables."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.variable import Variable
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        xcoms = {
            (row.task_id, row.map_index, row.key): XComModel.deserialize_value(row)
            for row in session.query(XComModel).filter_by(dag_id=dag_id, run_id=run_id)
        }
        rendered = {
            (row.task_id, row.map_index): row.rendered_fields
            for row in session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag_id, run_id=run_id)
        }
        variables = {row.key: row.val for row in session.query(Variable)}
    return {"xcoms": xcoms, "rendered": rendered, "variables": variables}


def try_numbers(dag_id: str, run_id: str) -> dict[tuple[str, int], int]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            (ti.task_id, ti.map_index): ti.try_number
            for ti in session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id)
        }


def access_tokens_in_variables(variables: dict[str, Any]) -> list[str]:
    """The access tokens the Variable token cache holds (that is where they belong, and only there)."""
    from airflow_provider_bigin.client.tokens.grant import AccessToken

    tokens = [
        AccessToken.from_json(value or "") for key, value in variables.items() if key.startswith(KEY_PREFIX)
    ]
    return [token.value for token in tokens if token is not None]


def assert_no_secret_leaked(dag_id: str, run_id: str, logs: TaskLogs, secrets: Sequence[str]) -> None:
    """No secret in the task logs, any XCom, any rendered template field, or any Variable key; the client
    secret and refresh token in no Variable value either. Access tokens found in the token cache count too."""
    artifacts = run_artifacts(dag_id, run_id)
    tokens = access_tokens_in_variables(artifacts["variables"])
    assert tokens, "the run cached no access token in a Variable"
    public = {
        "logs": logs.text,
        "xcoms": json.dumps({str(key): value for key, value in artifacts["xcoms"].items()}, default=str),
        "rendered fields": json.dumps({str(k): v for k, v in artifacts["rendered"].items()}, default=str),
        "variable keys": json.dumps(sorted(artifacts["variables"])),
    }
    for secret in [*secrets, *tokens]:
        for where, text in public.items():
            assert secret not in text, f"a secret leaked into the {where}"
    values = json.dumps(artifacts["variables"])
    for secret in secrets:
        assert secret not in values, "a connection secret leaked into a Variable value"
