from __future__ import annotations

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.dags.conftest import dag_source, tag_state

DAG_ID = "example_bigin_remove_tags"
SAMPLE_WITH_TAGS = ("Contacts", "2445013000000402006")  # carries "From Email" and "In Progress"
SAMPLE_WITHOUT = ("Contacts", "2445013000000141005")  # carries neither


def test_smallest_example_removes_the_two_tags_and_touches_nothing_else(
    run_dag: RunDag, bigin_sandbox: Sandbox
) -> None:
    before = tag_state(bigin_sandbox)
    assert {"From Email", "In Progress"} <= before[SAMPLE_WITH_TAGS]
    assert not {"From Email", "In Progress"} & before[SAMPLE_WITHOUT]

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=bigin_sandbox.connection_env())

    assert result.state == "success", result.task_states
    expected = dict(before)
    expected[SAMPLE_WITH_TAGS] = before[SAMPLE_WITH_TAGS] - {"From Email", "In Progress"}
    assert tag_state(bigin_sandbox) == expected
    outcome = result.xcom("remove_tags")
    assert [(r["id"], r["status"]) for r in outcome] == [
        ("2445013000000402006", "success"),
        ("2445013000000141005", "success"),  # removing an absent tag succeeds: the DAG can rerun
    ]
