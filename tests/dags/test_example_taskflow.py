from __future__ import annotations

import sqlite3

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.dags.conftest import dag_source, tag_state

DAG_ID = "example_bigin_taskflow"
STALE = {"In Progress", "Follow-up"}


def test_taskflow_example_cleans_only_won_deals_and_counts_the_outcome(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    rows = warehouse_db.execute("SELECT bigin_id FROM bigin_deals WHERE stage = 'Closed Won'")
    won = {deal for (deal,) in rows}
    before = tag_state(bigin_sandbox)
    targets = {deal for deal in won if before[("Pipelines", deal)] & STALE}
    assert targets
    assert len(targets) < len(won)  # some won deals carry neither tag: the task must leave them out

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env)

    assert result.state == "success", result.task_states
    expected = {
        key: tags - STALE if key[0] == "Pipelines" and key[1] in won else tags for key, tags in before.items()
    }
    assert tag_state(bigin_sandbox) == expected
    assert result.xcom("count_outcomes") == {"success": len(targets)}
