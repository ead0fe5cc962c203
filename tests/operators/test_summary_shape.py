"""One summary: what the hook returns and what the task pushes have the same shape, keys and figures.

A user tries the hook in a notebook, then moves the code into a task that reads the operator's ``summary``
XCom: ``summary["failed_by_code"]`` must work in both, with the same values for the same run.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.client.results import SUMMARY_KEYS, OutcomeSummary
from tests.operators.conftest import dag_source

#: What only the XCom has: how return_value and a results file were chosen.
XCOM_ONLY = {"return_records", "return_records_reason", "records_returned", "results_path", "results_lines"}

BODY = """
from airflow_provider_bigin.hooks.bigin import BiginHook

IDS = __IDS__

with DAG("bigin_summary_shape", schedule=None, start_date=START) as dag:
    untag = RemoveTagsOperator(
        task_id="untag", module="Contacts", record_ids=IDS, tag_names=["Shape"], on_partial_failure="warn"
    )

    @task
    def through_the_hook():
        summary = BiginHook().remove_tags("Contacts", IDS, ["Shape"]).summary
        by_code = summary["failed_by_code"]
        return {"mapping": dict(summary), "to_dict": summary.to_dict(), "failed_by_code": by_code}

    untag >> through_the_hook()
"""


def test_the_hook_and_the_xcom_give_one_summary(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str]
) -> None:
    contacts = list(bigin_sandbox.records("Contacts"))[:2]
    ids = [contacts[0], "900000000000000001", contacts[1]]
    result = run_dag(dag_source(BODY, ids=ids), "bigin_summary_shape", env=operator_env)
    assert result.state == "success"

    pushed = result.xcom("untag", key="summary")
    hook = result.xcom("through_the_hook")
    assert set(pushed) == set(SUMMARY_KEYS) | XCOM_ONLY
    assert hook["mapping"] == hook["to_dict"]
    assert list(hook["to_dict"]) == list(SUMMARY_KEYS)
    # The same run twice (removing a tag a record no longer has succeeds): the same figures.
    assert {key: pushed[key] for key in SUMMARY_KEYS} == hook["to_dict"]
    assert hook["failed_by_code"] == pushed["failed_by_code"] == {"INVALID_DATA": 1}


def test_the_summary_reads_as_a_mapping_and_refuses_unknown_keys() -> None:
    summary = OutcomeSummary(
        "add_tags", "Contacts", ("a", "b"), 3, 1, 2, api_calls=1, retries=0, failed_by_code=(("X", 2),)
    )
    assert summary["tags"] == ["a", "b"]
    assert summary["failed_by_code"] == {"X": 2}
    assert summary["failed"] == summary.failed == 2
    assert len(summary) == len(SUMMARY_KEYS)
    assert "retries" in summary
    with pytest.raises(KeyError):
        summary["return_records"]
