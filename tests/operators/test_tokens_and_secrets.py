"""Tasks share one access token through an Airflow Variable, and no secret reaches what users can read."""

from __future__ import annotations

from typing import Any

from airflow_provider_bigin.client.tokens.source import KEY_PREFIX
from tests.operators.conftest import assert_no_secret_leaked, dag_source, run_artifacts

BODY = """
IDS = __IDS__

with DAG(
    "bigin_shared_token",
    schedule=None,
    start_date=START,
    default_args={"on_execute_callback": as_a_fresh_worker},
) as dag:
    first = RemoveTagsOperator(task_id="first", module="Contacts", record_ids=IDS[:2], tag_names="Shape")
    second = AddTagsOperator(task_id="second", module="Contacts", record_ids=IDS[2:], tag_names="Shape")
    third = RemoveTagsOperator(task_id="third", module="Contacts", record_ids=IDS, tag_names="Keep")
    first >> second >> third
"""


def test_tasks_of_a_run_share_one_token_grant_through_a_variable_and_leak_no_secret(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], task_logs: Any
) -> None:
    ids = list(bigin_sandbox.records("Contacts"))[:4]
    result = run_dag(dag_source(BODY, ids=ids), "bigin_shared_token", env=operator_env)
    logs = task_logs()

    assert result.state == "success", result.task_states
    # Three tasks, each starting with an empty token memory: one grant, read back from the Variable.
    assert bigin_sandbox.stats()["token_grants"] == 1
    assert bigin_sandbox.stats()["calls"]["remove_tags"] + bigin_sandbox.stats()["calls"]["add_tags"] == 3
    variables = run_artifacts(result.dag_id, result.run_id)["variables"]
    assert [key for key in variables if key.startswith(KEY_PREFIX) and not key.endswith("lease")]

    assert len(logs.lines(" requested, ")) == 3  # each task's summary line: the task logs really were read
    conn = bigin_sandbox.connection()
    assert_no_secret_leaked(
        result.dag_id, result.run_id, logs, [conn["password"], conn["extra"]["refresh_token"]]
    )
