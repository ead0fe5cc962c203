"""Every shape of record_ids that upstream tasks really produce, in one DAG run against the sandbox.

Each task works on records of its own, so its XCom and the sandbox's records can be checked one by one.
"""

from __future__ import annotations

import json
from typing import Any

from tests.operators.conftest import dag_source, run_artifacts

BODY = """
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

IDS = __IDS__

with DAG(
    "bigin_input_shapes",
    schedule=None,
    start_date=START,
    default_args={"on_execute_callback": as_a_fresh_worker},
) as dag:
    query = SQLExecuteQueryOperator(
        task_id="query", conn_id="warehouse", sql="SELECT bigin_id FROM flagged ORDER BY position"
    )

    @task
    def id_dicts():
        return [{"id": record_id, "Email": "someone@example.com"} for record_id in IDS["dicts"]]

    @task
    def plain_ids():
        return IDS["jinja_text"] + IDS["jinja_text"][:1]  # a duplicate, merged by the operator

    common = {"module": "Contacts", "tag_names": ["Shape"]}
    RemoveTagsOperator(task_id="list_of_str", record_ids=IDS["list_of_str"], **common)
    RemoveTagsOperator(task_id="list_of_int", record_ids=[int(i) for i in IDS["list_of_int"]], **common)
    RemoveTagsOperator(
        task_id="csv_string", module="contacts", record_ids=", ".join(IDS["csv_string"]), tag_names="Shape,"
    )
    RemoveTagsOperator(task_id="json_string", record_ids=json.dumps(IDS["json_string"]), **common)
    RemoveTagsOperator(task_id="sql_rows", record_ids=query.output, **common)
    RemoveTagsOperator(task_id="dicts", record_ids=id_dicts(), **common)
    plain_ids() >> RemoveTagsOperator(
        task_id="jinja_text", record_ids="{{ ti.xcom_pull(task_ids='plain_ids') }}", **common
    )
    RemoveTagsOperator(task_id="many", record_ids=IDS["many"], **common)
    AddTagsOperator(task_id="add", module="Contacts", record_ids=IDS["add"], tag_names="Added, Shape2")
"""

SHAPES = ("list_of_str", "list_of_int", "csv_string", "json_string", "sql_rows", "dicts", "jinja_text")


def test_every_input_shape_and_template_style_removes_the_tags_of_its_records(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], warehouse: Any, task_logs: Any
) -> None:
    contacts = list(bigin_sandbox.records("Contacts"))
    ids = {shape: contacts[10 + 2 * n : 12 + 2 * n] for n, shape in enumerate(SHAPES)}
    ids["sql_rows"] = contacts[40:43]
    ids["add"] = contacts[50:52]
    ids["many"] = contacts[100:1301]  # 1201 records: calls of 500, 500 and 201
    for record_id in [record_id for shape in SHAPES for record_id in ids[shape]]:
        bigin_sandbox.set_tags("Contacts", record_id, ["Shape", "Keep"])

    env = {**operator_env, **warehouse(ids["sql_rows"])}
    result = run_dag(dag_source(BODY, ids=ids), "bigin_input_shapes", env=env)
    logs = task_logs()

    assert result.state == "success", result.task_states
    assert set(result.task_states.values()) == {"success"}
    for shape in SHAPES:
        results = result.xcom(shape)
        assert [entry["id"] for entry in results] == ids[shape], shape  # input order, duplicates merged
        assert {(entry["status"], entry["code"]) for entry in results} == {("success", "SUCCESS")}, shape
        summary = result.xcom(shape, key="summary")
        assert summary["requested"] == len(ids[shape])
        assert (summary["succeeded"], summary["failed"], summary["api_calls"]) == (len(ids[shape]), 0, 1)
        assert (summary["module"], summary["tags"], summary["dry_run"]) == ("Contacts", ["Shape"], False)
        for record_id in ids[shape]:
            assert bigin_sandbox.tags("Contacts", record_id) == ["Keep"], (shape, record_id)

    many = result.xcom("many", key="summary")
    assert (many["requested"], many["succeeded"], many["api_calls"]) == (1201, 1201, 3)
    assert len(logs.lines("batch 1/3: 500 ids, 500 done, 0 failed")) == 1
    assert len(logs.lines("batch 3/3: 201 ids, 201 done, 0 failed")) == 1
    assert logs.lines("remove_tags on Contacts: 1201 requested, 1201 succeeded, 0 failed, 3 API calls")

    assert [entry["status"] for entry in result.xcom("add")] == ["success", "success"]
    for record_id in ids["add"]:
        assert {"Added", "Shape2"} <= set(bigin_sandbox.tags("Contacts", record_id))
    assert result.xcom("add", key="summary")["action"] == "add_tags"

    # What users branch on is plain JSON: it survives a round trip unchanged.
    stored = run_artifacts(result.dag_id, result.run_id)["xcoms"]
    bigin_xcoms = {key: value for key, value in stored.items() if key[0] in {*SHAPES, "many", "add"}}
    assert len(bigin_xcoms) == 2 * (len(SHAPES) + 2)
    for value in bigin_xcoms.values():
        assert json.loads(json.dumps(value)) == value
