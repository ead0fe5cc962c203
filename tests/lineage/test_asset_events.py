"""Tag runs record their figures on their module's asset, as a DAG scheduled on it reads them (dag.test())."""

from __future__ import annotations

from typing import Any

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.operators.conftest import dag_source

BODY = """
from airflow_provider_bigin.lineage.assets import bigin_asset, bigin_asset_alias

CONTACTS = bigin_asset("Contacts", conn_id="bigin_default")
CHANGES = bigin_asset_alias("bigin_asset_events_changes")

with DAG("bigin_asset_events", schedule=None, start_date=START) as dag:
    AddTagsOperator(
        task_id="tag_contacts",
        module="contacts",
        record_ids=__CONTACTS__,
        tag_names=["Reviewed"],
        outlets=[CONTACTS],
    )
    AddTagsOperator(
        task_id="dry_contacts",
        module="Contacts",
        record_ids=__CONTACTS__,
        tag_names=["Reviewed"],
        dry_run=True,
        outlets=[CONTACTS, CHANGES],
    )
    RemoveTagsOperator(
        task_id="no_ids",
        module="Contacts",
        record_ids=[],
        tag_names=["Gone"],
        outlets=[CONTACTS, CHANGES],
    )
    RemoveTagsOperator.partial(
        task_id="per_module", tag_names=["Gone"], on_partial_failure="warn", outlets=[CHANGES]
    ).expand_kwargs(
        [
            {"module": "Contacts", "record_ids": __CONTACTS__},
            {"module": "Deals", "record_ids": __DEALS__ + ["2445013999999999999"]},
        ]
    )
"""

MISMATCH = """
from airflow_provider_bigin.lineage.assets import bigin_asset

with DAG("bigin_asset_mismatch", schedule=None, start_date=START) as dag:
    RemoveTagsOperator(
        task_id="wrong_outlet",
        module="Pipelines",
        record_ids=__CONTACTS__,
        tag_names=["Gone"],
        outlets=[bigin_asset("Contacts", conn_id="bigin_default")],
    )
"""


def asset_events(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every asset event the run recorded, as the metadata DB holds it."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(AssetEvent, AssetModel.uri)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id)
            .all()
        )
        return [
            {
                "uri": uri,
                "task": event.source_task_id,
                "map_index": event.source_map_index,
                "extra": event.extra,
            }
            for event, uri in rows
        ]


def figures(
    action: str, module: str, tags: list[str], requested: int, succeeded: int, **more: Any
) -> dict[str, Any]:
    return {
        "action": action,
        "module": module,
        "tags": tags,
        "requested": requested,
        "succeeded": succeeded,
        "failed": requested - succeeded,
        "dry_run": False,
        **more,  # failed, dry_run
    }


def test_each_tag_run_records_its_figures_on_the_asset_of_the_module_it_changed(
    run_dag: RunDag, bigin_sandbox: Sandbox
) -> None:
    contacts = sorted(bigin_sandbox.records("Contacts"))[:3]
    deals = sorted(bigin_sandbox.records("Pipelines"))[:2]
    env = bigin_sandbox.connection_env()
    host = bigin_sandbox.url.split("://", 1)[1]

    result = run_dag(dag_source(BODY, contacts=contacts, deals=deals), "bigin_asset_events", env=env)

    assert result.state == "success", result.task_states
    events = sorted(
        asset_events(result.dag_id, result.run_id), key=lambda e: (e["task"], e["map_index"], e["uri"])
    )
    contacts_uri, pipelines_uri = f"bigin://{host}/Contacts", f"bigin://{host}/Pipelines"
    dry = figures("add_tags", "Contacts", ["Reviewed"], 3, 0, failed=0, dry_run=True)
    assert events == [
        # A dry run changes nothing: its outlet still gets Airflow's event, saying so; the alias gets none.
        {"uri": contacts_uri, "task": "dry_contacts", "map_index": -1, "extra": dry},
        # No ids, no call: the figures say nothing changed; the alias gets no event.
        {
            "uri": contacts_uri,
            "task": "no_ids",
            "map_index": -1,
            "extra": figures("remove_tags", "Contacts", ["Gone"], 0, 0),
        },
        # Mapped over two modules through the alias: each task instance names its own module only.
        {
            "uri": contacts_uri,
            "task": "per_module",
            "map_index": 0,
            "extra": figures("remove_tags", "Contacts", ["Gone"], 3, 3),
        },
        {
            "uri": pipelines_uri,
            "task": "per_module",
            "map_index": 1,
            "extra": figures("remove_tags", "Pipelines", ["Gone"], 3, 2),
        },
        {
            "uri": contacts_uri,
            "task": "tag_contacts",
            "map_index": -1,
            "extra": figures("add_tags", "Contacts", ["Reviewed"], 3, 3),
        },
    ]


def test_an_outlet_naming_another_module_fails_the_task_before_any_call(
    run_dag: RunDag, bigin_sandbox: Sandbox
) -> None:
    contacts = sorted(bigin_sandbox.records("Contacts"))[:2]
    bigin_sandbox.reset_stats()

    result = run_dag(
        dag_source(MISMATCH, contacts=contacts), "bigin_asset_mismatch", env=bigin_sandbox.connection_env()
    )

    assert result.task_states[("wrong_outlet", -1)] == "failed"
    assert asset_events(result.dag_id, result.run_id) == []
    assert bigin_sandbox.stats()["calls"].get("remove_tags", 0) == 0
