from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.dags.conftest import dag_source, tag_state

DAG_ID = "example_bigin_large_run"
TAG = "Newsletter"


def test_every_outcome_goes_to_the_file_and_the_downstream_task_reads_it_back(
    run_dag: RunDag, bigin_sandbox: Sandbox, dag_env: dict[str, str], tmp_path: Path
) -> None:
    before = tag_state(bigin_sandbox)
    tagged = {
        record_id for (module, record_id), tags in before.items() if module == "Contacts" and TAG in tags
    }
    assert len(tagged) > 10

    result = run_dag(
        dag_source(DAG_ID), DAG_ID, env=dag_env, run_conf={"results_url": f"file://{tmp_path}", "tag": TAG}
    )

    assert result.state == "success", result.task_states
    expected = {key: tags - {TAG} if key[0] == "Contacts" else tags for key, tags in before.items()}
    assert tag_state(bigin_sandbox) == expected
    assert result.xcom("untag_all") == []  # return_records="failed", and none failed
    path = tmp_path / DAG_ID / f"{result.run_id}.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {line["id"] for line in lines} == tagged
    assert result.xcom("read_results") == {
        "path": f"file://{path}",
        "lines": len(tagged),
        "statuses": {"success": len(tagged)},
        "codes": {"SUCCESS": len(tagged)},
    }
    assert result.xcom_keys("read_results") == {"return_value"}
    summary = result.xcom("untag_all", key="summary")
    assert (summary["results_lines"], summary["records_returned"]) == (len(tagged), 0)
