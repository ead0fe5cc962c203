"""Dynamic task mapping and native Jinja rendering: one task per id list, per module, per tag set."""

from __future__ import annotations

from typing import Any

from tests.operators.conftest import dag_source

BODY = """
IDS = __IDS__

with DAG(
    "bigin_mapping",
    schedule=None,
    start_date=START,
    render_template_as_native_obj=True,
) as dag:

    @task
    def contact_ids():
        return IDS["native"]

    @task
    def ids_per_module():
        return [
            {"module": "Contacts", "record_ids": IDS["contacts"]},
            {"module": "Deals", "record_ids": ",".join(IDS["deals"])},
        ]

    contact_ids() >> RemoveTagsOperator(
        task_id="native_jinja",
        module="{{ params.module }}",
        record_ids="{{ ti.xcom_pull(task_ids='contact_ids') }}",
        tag_names="{{ params.tags }}",
        params={"module": "Contacts", "tags": ["Shape"]},
    )
    RemoveTagsOperator.partial(task_id="per_id_list", module="Contacts", tag_names=["Shape"]).expand(
        record_ids=IDS["lists"]
    )
    AddTagsOperator.partial(task_id="per_module", tag_names=["Mapped"]).expand_kwargs(ids_per_module())
    AddTagsOperator.partial(task_id="per_tag_set", module="Contacts", record_ids=IDS["tagged"]).expand(
        tag_names=[["Gold"], "Silver, Bronze"]
    )
"""


def test_mapped_and_native_templated_tasks_each_report_their_own_records(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str]
) -> None:
    contacts = list(bigin_sandbox.records("Contacts"))
    deals = list(bigin_sandbox.records("Pipelines"))
    ids = {
        "native": contacts[0:2],
        "lists": [contacts[2:4], contacts[4:5]],
        "contacts": contacts[5:7],
        "deals": deals[0:2],
        "tagged": contacts[7:9],
    }
    for record_id in contacts[0:5]:
        bigin_sandbox.set_tags("Contacts", record_id, ["Shape", "Keep"])

    result = run_dag(dag_source(BODY, ids=ids), "bigin_mapping", env=operator_env)
    assert result.state == "success", result.task_states

    assert [entry["id"] for entry in result.xcom("native_jinja")] == ids["native"]
    for index, id_list in enumerate(ids["lists"]):
        assert [entry["id"] for entry in result.xcom("per_id_list", map_index=index)] == id_list
        assert result.xcom("per_id_list", key="summary", map_index=index)["requested"] == len(id_list)
    for record_id in contacts[0:5]:
        assert bigin_sandbox.tags("Contacts", record_id) == ["Keep"]

    for index, (module, expected) in enumerate([("Contacts", ids["contacts"]), ("Pipelines", ids["deals"])]):
        assert [entry["id"] for entry in result.xcom("per_module", map_index=index)] == expected
        assert result.xcom("per_module", key="summary", map_index=index)["module"] == module
        for record_id in expected:
            assert "Mapped" in bigin_sandbox.tags(module, record_id)

    assert result.xcom("per_tag_set", key="summary", map_index=0)["tags"] == ["Gold"]
    assert result.xcom("per_tag_set", key="summary", map_index=1)["tags"] == ["Silver", "Bronze"]
    for record_id in ids["tagged"]:
        assert {"Gold", "Silver", "Bronze"} <= set(bigin_sandbox.tags("Contacts", record_id))
