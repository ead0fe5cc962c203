"""What return_value holds (return_records), and every outcome in a results file (results_path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.operators.returned_records import AUTO_ALL_UP_TO
from airflow_provider_bigin.operators.tags import RemoveTagsOperator
from tests.operators.conftest import dag_source

#: Well-formed ids that no record has: Bigin answers INVALID_DATA for each.
UNKNOWN = ["2445013999999999991", "2445013999999999992"]


def _tagged(sandbox: Any, count: int, tag: str = "Bulk") -> list[str]:
    ids: list[str] = sandbox.add_records(
        "Contacts", [{"Last_Name": f"bulk {n}", "Tag": [tag, "Keep"]} for n in range(count)]
    )
    return ids


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


CHOICES_BODY = """
IDS = __IDS__

with DAG("bigin_return_records", schedule=None, start_date=START, params={"mode": "failed"}) as dag:
    for choice in ("all", "failed", "none", "{{ params.mode }}"):
        RemoveTagsOperator(
            task_id="templated" if "{" in choice else f"return_{choice}",
            module="Contacts",
            record_ids=IDS[choice],
            tag_names=["Bulk"],
            on_partial_failure="warn",
            return_records=choice,
        )
"""


def test_each_choice_returns_what_it_names_and_the_summary_says_so(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str]
) -> None:
    ids = {choice: [*_tagged(bigin_sandbox, 3), UNKNOWN[0]] for choice in ("all", "failed", "none")}
    ids["{{ params.mode }}"] = [*_tagged(bigin_sandbox, 3), UNKNOWN[1]]

    result = run_dag(dag_source(CHOICES_BODY, ids=ids), "bigin_return_records", env=operator_env)

    assert result.state == "success"
    assert [entry["id"] for entry in result.xcom("return_all")] == ids["all"]
    assert [(entry["id"], entry["code"]) for entry in result.xcom("return_failed")] == [
        (UNKNOWN[0], "INVALID_DATA")
    ]
    assert [entry["id"] for entry in result.xcom("templated")] == [UNKNOWN[1]]
    assert "return_value" not in result.xcom_keys("return_none")
    for task_id, mode, returned in (
        ("return_all", "all", 4),
        ("return_failed", "failed", 1),
        ("return_none", "none", 0),
        ("templated", "failed", 1),
    ):
        summary = result.xcom(task_id, key="summary")
        assert (summary["return_records"], summary["records_returned"]) == (mode, returned)
        assert (summary["succeeded"], summary["failed"]) == (3, 1)
        assert summary["failed_by_code"] == {"INVALID_DATA": 1}
        assert summary["results_path"] is None
        assert summary["results_lines"] is None


AUTO_BODY = """
IDS = __IDS__

with DAG("bigin_auto_return", schedule=None, start_date=START) as dag:
    RemoveTagsOperator(
        task_id="auto",
        module="Contacts",
        record_ids=IDS,
        tag_names=["Bulk"],
        on_partial_failure="warn",
        results_path=__PATH__,
    )
"""


@pytest.mark.slow
def test_auto_returns_only_failures_above_the_threshold_and_the_file_gets_every_record(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], task_logs: Any, tmp_path: Path
) -> None:
    ids = [*_tagged(bigin_sandbox, AUTO_ALL_UP_TO), *UNKNOWN]
    path_template = f"file://{tmp_path}/results/{{{{ run_id }}}}.jsonl"

    result = run_dag(
        dag_source(AUTO_BODY, ids=ids, path=path_template), "bigin_auto_return", env=operator_env
    )

    assert result.state == "success"
    assert [(entry["id"], entry["code"]) for entry in result.xcom("auto")] == [
        (UNKNOWN[0], "INVALID_DATA"),
        (UNKNOWN[1], "INVALID_DATA"),
    ]
    summary = result.xcom("auto", key="summary")
    assert summary["return_records"] == "failed"
    assert "auto" in summary["return_records_reason"]
    assert f"more than {AUTO_ALL_UP_TO:,}" in summary["return_records_reason"]
    assert summary["records_returned"] == 2
    written = Path(f"{tmp_path}/results/{result.run_id}.jsonl")
    assert summary["results_path"] == f"file://{written}"
    assert summary["results_lines"] == len(ids)
    lines = _lines(written)
    assert sorted(line["id"] for line in lines) == sorted(
        ids
    )  # every record once, in the order calls settled
    assert sum(line["status"] == "success" for line in lines) == AUTO_ALL_UP_TO
    assert set(lines[0]) == {"id", "status", "code", "message", "details"}
    warnings = task_logs().lines("return_value holds the records that did not succeed")
    assert len(warnings) == 1
    assert f"every record's outcome is in file://{written}" in warnings[0]


REFUSED_BODY = """
IDS = __IDS__

with DAG("bigin_results_refused", schedule=None, start_date=START) as dag:
    RemoveTagsOperator(
        task_id="refused",
        bigin_conn_id="bigin_readonly",
        module="Contacts",
        record_ids=IDS,
        tag_names=["Bulk"],
        results_path=__PATH__,
    )
"""


def test_a_run_refused_halfway_still_writes_a_line_for_every_id(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], tmp_path: Path
) -> None:
    ids = _tagged(bigin_sandbox, 1_200)
    path = tmp_path / "refused.jsonl"

    result = run_dag(
        dag_source(REFUSED_BODY, ids=ids, path=f"file://{path}"), "bigin_results_refused", env=operator_env
    )

    assert result.task_states[("refused", -1)] == "failed"
    lines = _lines(path)
    assert sorted(line["id"] for line in lines) == sorted(ids)
    assert {line["code"] for line in lines} <= {"OAUTH_SCOPE_MISMATCH", "NOT_ATTEMPTED"}
    summary = result.xcom("refused", key="summary")
    assert summary["results_lines"] == 1_200
    assert summary["failed"] == 1_200
    assert len(result.xcom("refused")) == 1_200  # auto at 1,200 records: every one, all failed


UNWRITABLE_BODY = """
with DAG("bigin_results_unwritable", schedule=None, start_date=START) as dag:
    RemoveTagsOperator(
        task_id="unwritable",
        module="Contacts",
        record_ids=__IDS__,
        tag_names=["Bulk"],
        results_path=__PATH__,
    )
"""


def test_a_results_path_that_cannot_be_written_fails_before_any_call(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], tmp_path: Path, task_logs: Any
) -> None:
    ids = _tagged(bigin_sandbox, 2)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    bigin_sandbox.reset_stats()

    result = run_dag(
        dag_source(UNWRITABLE_BODY, ids=ids, path=f"file://{blocker}/results.jsonl"),
        "bigin_results_unwritable",
        env=operator_env,
    )

    assert result.task_states[("unwritable", -1)] == "failed"
    assert bigin_sandbox.stats()["calls"] == {}
    assert task_logs().lines("cannot be written")
    assert all(bigin_sandbox.tags("Contacts", record_id) == ["Bulk", "Keep"] for record_id in ids)


def test_a_misspelt_return_records_fails_when_the_dag_is_parsed() -> None:
    with pytest.raises(
        InvalidInputError, match="return_records must be one of 'auto', 'all', 'failed', 'none'"
    ):
        RemoveTagsOperator(
            task_id="t", module="Contacts", record_ids=["1"], tag_names=["T"], return_records="al"
        )
    templated = RemoveTagsOperator(
        task_id="t", module="Contacts", record_ids=["1"], tag_names=["T"], return_records="{{ params.mode }}"
    )
    assert templated.return_records == "{{ params.mode }}"  # checked once rendered


def test_a_literal_list_of_plain_ids_is_not_rendered_id_by_id() -> None:
    ids = [str(10**18 + n) for n in range(100_000)]
    task = RemoveTagsOperator(task_id="t", module="Contacts", record_ids=ids, tag_names=["T"])
    assert task.render_template(ids, {}) is ids  # no Jinja environment was even needed
    assert task.render_template([*ids[:2], 7], {}) == [*ids[:2], 7]


TEMPLATED_IDS_BODY = """
with DAG("bigin_templated_ids", schedule=None, start_date=START, params={"first": __FIRST__}) as dag:
    RemoveTagsOperator(
        task_id="templated_ids",
        module="Contacts",
        record_ids=["{{ params.first }}", __SECOND__],
        tag_names=["Bulk"],
    )
"""


def test_a_list_with_a_template_in_it_is_still_rendered(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str]
) -> None:
    first, second = _tagged(bigin_sandbox, 2)

    result = run_dag(
        dag_source(TEMPLATED_IDS_BODY, first=first, second=second), "bigin_templated_ids", env=operator_env
    )

    assert [entry["id"] for entry in result.xcom("templated_ids")] == [first, second]
    assert bigin_sandbox.tags("Contacts", first) == ["Keep"]


CAPPED_BODY = """
with DAG("bigin_auto_capped", schedule=None, start_date=START) as dag:
    RemoveTagsOperator(
        task_id="capped",
        module="Contacts",
        record_ids=[f"2445013{n:012d}" for n in range(900_000_000, 900_000_000 + __COUNT__)],
        tag_names=["Bulk"],
        on_partial_failure="ignore",
    )
"""


@pytest.mark.slow
def test_auto_returns_at_most_the_threshold_of_failures_and_says_how_many_there_were(
    run_dag: Any, operator_env: dict[str, str]
) -> None:
    count = AUTO_ALL_UP_TO + 1  # ids no record has: every one fails

    result = run_dag(dag_source(CAPPED_BODY, count=count), "bigin_auto_capped", env=operator_env)

    returned = result.xcom("capped")
    assert len(returned) == AUTO_ALL_UP_TO
    assert {entry["code"] for entry in returned} == {"INVALID_DATA"}
    summary = result.xcom("capped", key="summary")
    assert summary["failed"] == count
    assert summary["records_returned"] == AUTO_ALL_UP_TO
    assert f"{count:,} failed, the first {AUTO_ALL_UP_TO:,} returned" in summary["return_records_reason"]
