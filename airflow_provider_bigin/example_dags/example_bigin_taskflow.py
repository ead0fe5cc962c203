"""
### TaskFlow: a Python task computes the ids, the operator removes the tags, a task reads the outcome

Won deals should no longer be marked "In Progress" or "Follow-up". A `@task` reads the deals and their tags
from the warehouse mirror (connection `bigin_warehouse`, or the `warehouse_conn_id` param) and decides in
Python which deals to clean up; its return value feeds `RemoveTagsOperator.record_ids` directly. A last task
reads the operator's per-record results from XCom, as any downstream step can, to branch on the outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import BaseHook, Param, dag, get_current_context, task

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

WON_STAGE = "Closed Won"
STALE_TAGS = ("In Progress", "Follow-up")


@dag(
    dag_id="example_bigin_taskflow",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bigin", "taskflow"],
    # Airflow retries nothing by default: a transient Bigin failure (5xx, 429, a lost reply) that outlasts the
    # operator's own retries fails the task, and these try it again. Tag changes are idempotent, so a retry is
    # safe; permanent failures (bad input, an unknown id, a missing scope) fail at once without retries.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={"warehouse_conn_id": Param("bigin_warehouse", type="string")},
)
def example_bigin_taskflow() -> None:
    """Won deals lose the tags that only made sense while they were open."""

    @task
    def won_deals_with_stale_tags() -> list[str]:
        """Deal ids, in a stable order, that are won and still carry a stale tag."""
        hook = BaseHook.get_hook(get_current_context()["params"]["warehouse_conn_id"])
        rows = hook.get_records(
            "SELECT d.bigin_id, d.stage, t.tag_name FROM bigin_deals AS d "
            "JOIN bigin_record_tags AS t ON t.module = 'Pipelines' AND t.record_id = d.bigin_id"
        )
        return sorted({str(deal) for deal, stage, tag in rows if stage == WON_STAGE and tag in STALE_TAGS})

    remove = RemoveTagsOperator(
        task_id="remove_stale_tags",
        module="Pipelines",
        record_ids=won_deals_with_stale_tags(),
        tag_names=list(STALE_TAGS),
    )

    @task
    def count_outcomes(results: list[dict[str, Any]]) -> dict[str, int]:
        """Per-record results are plain JSON: count them by status."""
        counts: dict[str, int] = {}
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
        return counts

    # TaskFlow hands the task the XCom's value at run time; mypy only sees the XComArg passed here.
    count_outcomes(remove.output)  # type: ignore[arg-type]


example_bigin_taskflow()
