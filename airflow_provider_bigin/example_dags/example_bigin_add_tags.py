"""
### AddTagsOperator, mapped over modules: the records a review covered get the tag "Reviewed"

A `@task` names, per module, the records a review went through (here a fixed list: in production a query or
an upstream check); one `AddTagsOperator` per module, through dynamic task mapping (`expand_kwargs`), puts the
tag on them. Each mapped task pushes its own `return_value` (every record's outcome) and `summary`. Adding a
tag a record already carries succeeds, so the DAG can run again safely. It needs one connection,
`bigin_default`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from airflow_provider_bigin.operators.tags import AddTagsOperator


@dag(
    dag_id="example_bigin_add_tags",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bigin"],
    # Airflow retries nothing by default: a transient Bigin failure (5xx, 429, a lost reply) that outlasts the
    # operator's own retries fails the task, and these try it again. Tag changes are idempotent, so a retry is
    # safe; permanent failures (bad input, an unknown id, a missing scope) fail at once without retries.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
)
def example_bigin_add_tags() -> None:
    """The records a review covered, tagged "Reviewed" in each module."""

    @task
    def reviewed_per_module() -> list[dict[str, object]]:
        """One entry per module: its API name and the ids (a list, or a comma-separated string)."""
        return [
            {"module": "Contacts", "record_ids": ["2445013000000402006", "2445013000000141005"]},
            {"module": "Pipelines", "record_ids": "2445013000000389805,2445013000000390298"},
        ]

    AddTagsOperator.partial(
        task_id="tag_reviewed",
        tag_names=["Reviewed"],
        map_index_template="{{ task.module }}",
    ).expand_kwargs(reviewed_per_module())


example_bigin_add_tags()
