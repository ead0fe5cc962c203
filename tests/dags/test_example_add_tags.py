from __future__ import annotations

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.dags.conftest import dag_source, tag_state

DAG_ID = "example_bigin_add_tags"
REVIEWED = {
    ("Contacts", "2445013000000402006"),
    ("Contacts", "2445013000000141005"),
    ("Pipelines", "2445013000000389805"),
    ("Pipelines", "2445013000000390298"),
}


def test_add_tags_example_tags_the_reviewed_records_of_each_module_and_nothing_else(
    run_dag: RunDag, bigin_sandbox: Sandbox
) -> None:
    before = tag_state(bigin_sandbox)
    assert not any("Reviewed" in before[record] for record in REVIEWED)

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=bigin_sandbox.connection_env())

    assert result.state == "success", result.task_states
    expected = {
        record: tags | {"Reviewed"} if record in REVIEWED else tags for record, tags in before.items()
    }
    assert tag_state(bigin_sandbox) == expected
    for map_index, module in enumerate(("Contacts", "Pipelines")):
        summary = result.xcom("tag_reviewed", key="summary", map_index=map_index)
        assert (summary["action"], summary["module"], summary["succeeded"]) == ("add_tags", module, 2)
        assert [r["status"] for r in result.xcom("tag_reviewed", map_index=map_index)] == ["success"] * 2
    assert bigin_sandbox.stats()["calls"]["add_tags"] == 2  # one call per module
