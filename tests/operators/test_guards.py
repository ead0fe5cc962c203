"""Everything decided before any call: dry runs, max_records, empty input, bad input. Bigin sees nothing."""

from __future__ import annotations

from typing import Any

from tests.operators.conftest import dag_source, try_numbers

BODY = """
IDS = __IDS__

with DAG(
    "bigin_guards",
    schedule=None,
    start_date=START,
    default_args={"retries": 1, "retry_delay": timedelta(0)},
    # Rendered at run time: the same values as literals fail when the file is parsed (test_parse_time).
    params={"bad_module": "Leads", "bad_tag": "a,b"},
) as dag:

    @task
    def no_rows():
        return []

    RemoveTagsOperator(
        task_id="dry_run", module="Deals", record_ids=IDS + IDS[:1], tag_names="Shape", dry_run=True
    )
    RemoveTagsOperator(
        task_id="over_max_records", module="Contacts", record_ids=IDS, tag_names="Shape", max_records=2
    )
    RemoveTagsOperator(task_id="empty", module="Contacts", record_ids=no_rows(), tag_names="Shape")
    RemoveTagsOperator(task_id="empty_csv", module="Contacts", record_ids="", tag_names="Shape")
    AddTagsOperator(
        task_id="empty_skipped", module="Contacts", record_ids=[], tag_names="Shape", skip_when_empty=True
    )
    RemoveTagsOperator(
        task_id="float_ids", module="Contacts", record_ids=[2445013000000402006.0], tag_names="Shape"
    )
    RemoveTagsOperator(
        task_id="unknown_module", module="{{ params.bad_module }}", record_ids=IDS, tag_names="Shape"
    )
    RemoveTagsOperator(
        task_id="comma_in_tag", module="Contacts", record_ids=IDS, tag_names=["{{ params.bad_tag }}"]
    )
    RemoveTagsOperator(
        task_id="no_connection", bigin_conn_id="bigin_nowhere", module="Contacts", record_ids=IDS,
        tag_names="X",
    )
"""


def test_guards_settle_before_any_request_and_bigin_sees_nothing(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], task_logs: Any
) -> None:
    ids = list(bigin_sandbox.records("Pipelines"))[:3]
    result = run_dag(dag_source(BODY, ids=ids), "bigin_guards", env=operator_env)
    logs = task_logs()
    states = {task_id: state for (task_id, _), state in result.task_states.items()}
    assert states == {
        "no_rows": "success",
        "dry_run": "success",
        "over_max_records": "failed",
        "empty": "success",
        "empty_csv": "success",
        "empty_skipped": "skipped",
        "float_ids": "failed",
        "unknown_module": "failed",
        "comma_in_tag": "failed",
        "no_connection": "failed",
    }
    # Not one request, not even for a token: a dry run plans without the network.
    stats = bigin_sandbox.stats()
    assert (stats["requests"], stats["token_grants"]) == (0, 0), stats

    dry = result.xcom("dry_run")
    assert [entry["id"] for entry in dry] == ids
    assert {(entry["status"], entry["code"]) for entry in dry} == {("skipped", "DRY_RUN")}
    summary = result.xcom("dry_run", key="summary")
    assert summary["dry_run"] is True
    assert (summary["module"], summary["requested"], summary["api_calls"]) == ("Pipelines", 3, 0)
    assert logs.lines("(dry run: nothing will be sent)")

    assert result.xcom("empty") == []
    assert result.xcom("empty", key="summary")["requested"] == 0
    assert result.xcom("empty_csv") == []
    assert logs.lines("No record ids to remove tags on Contacts: Bigin was not called.")
    assert result.xcom_keys("empty_skipped") == set()

    # Input that no retry can fix fails at once, with a message that says what to change.
    tries = try_numbers(result.dag_id, result.run_id)
    for task_id in ("over_max_records", "float_ids", "unknown_module", "comma_in_tag", "no_connection"):
        assert tries[(task_id, -1)] == 1, task_id
        assert result.xcom_keys(task_id) == set(), task_id
    assert logs.lines("3 distinct record ids exceed max_records=2: nothing was sent")
    assert logs.lines("19-digit Bigin ids do not survive floats")
    assert logs.lines("Unknown module 'Leads'")
    assert logs.lines("contains a comma")
    assert logs.lines("connection 'bigin_nowhere' is not defined")
