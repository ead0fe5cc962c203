"""Under dag.test(): the tag operators cope with Zoho's variations and say so in the task log."""

from __future__ import annotations

from typing import Any

from tests.operators.conftest import dag_source

BODY = """
IDS = __IDS__

with DAG("bigin_variations", schedule=None, start_date=START) as dag:
    AddTagsOperator(task_id="add", module="Contacts", record_ids=IDS, tag_names=["Reviewed"])
"""


def test_add_tags_falls_back_to_v1_and_splits_long_urls_and_the_task_succeeds(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], task_logs: Any
) -> None:
    bigin_sandbox.set_faults({"add_tags_v1_only": True, "url_max_ids": 300})
    ids = bigin_sandbox.add_records("Contacts", [{"Last_Name": f"o{n}", "Tag": []} for n in range(700)])

    result = run_dag(dag_source(BODY, ids=ids), "bigin_variations", env=operator_env)
    logs = task_logs()

    assert result.task_states[("add", -1)] == "success"
    summary = result.xcom("add", key="summary")
    assert (summary["succeeded"], summary["failed"]) == (700, 0)
    assert all(bigin_sandbox.tags("Contacts", record_id) == ["Reviewed"] for record_id in ids)
    assert len(logs.lines("with the query parameters of Bigin's v1 Add Tags")) == 1
    split = logs.lines("for its URL length")
    assert len(split) == 1, split
    assert "the run sends at most 250 ids per call from now on" in split[0]
