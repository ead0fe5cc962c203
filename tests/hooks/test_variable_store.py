"""The Variable token store for real: two tasks of a dag.test() run share one token through a Variable.

The hook hands the store to the client: the connection's cache_backend is "auto", which inside a task means
the Variable.
"""

from __future__ import annotations

import pytest

DAG_SOURCE = """
import pendulum
from airflow.sdk import dag, task


def call_bigin(forget_memory):
    from airflow_provider_bigin.client.tokens.source import forget_process_tokens
    from airflow_provider_bigin.hooks.bigin import BiginHook
    from airflow_provider_bigin.hooks.variable_store import in_airflow_task

    if forget_memory:
        forget_process_tokens()  # as on another worker: only the Variable can supply the token
    client = BiginHook("bigin_variable_test").get_conn()
    modules = client.list_modules()
    return {
        "in_task": in_airflow_task(),
        "store": client.tokens.store.name,
        "key": client.tokens.key,
        "grants": client.tokens.grants,
        "modules": len(modules),
    }


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def bigin_variable_token_cache():
    @task
    def first():
        return call_bigin(forget_memory=False)

    @task
    def second(previous):
        return call_bigin(forget_memory=True)

    second(first())


bigin_variable_token_cache()
"""


@pytest.mark.slow
def test_tasks_share_one_token_through_an_airflow_variable(bigin_sandbox, run_dag) -> None:
    run = run_dag(
        DAG_SOURCE,
        "bigin_variable_token_cache",
        env=bigin_sandbox.connection_env("bigin_variable_test"),
    )
    assert run.state == "success", run.task_states
    first, second = run.xcom("first"), run.xcom("second")
    assert first["in_task"]
    assert first["store"] == "variable"
    assert (first["grants"], second["grants"]) == (1, 0)
    assert bigin_sandbox.stats()["token_grants"] == 1

    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        keys = {row.key for row in session.query(Variable).all()}
    assert first["key"] in keys
    assert first["key"].startswith("bigin_access_token__")
    assert f"{first['key']}__lease" not in keys  # the lease is released after the refresh
    connection = bigin_sandbox.connection()
    assert not any(connection["login"] in key or connection["extra"]["refresh_token"] in key for key in keys)
