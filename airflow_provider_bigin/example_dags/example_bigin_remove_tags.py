"""
### The smallest complete use of RemoveTagsOperator

Takes the tags "From Email" and "In Progress" off two contacts: the request in Bigin's Remove Tags
documentation. The task's `return_value` XCom holds every record's outcome (id, status, code, message) and its
`summary` XCom the totals. It needs one connection, `bigin_default` (see the README); removing a tag that a
record does not carry succeeds, so the DAG can run again safely.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

with DAG(
    dag_id="example_bigin_remove_tags",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bigin"],
    # Airflow retries nothing by default: a transient Bigin failure (5xx, 429, a lost reply) that outlasts the
    # operator's own retries fails the task, and these try it again. Tag changes are idempotent, so a retry is
    # safe; permanent failures (bad input, an unknown id, a missing scope) fail at once without retries.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
):
    RemoveTagsOperator(
        task_id="remove_tags",
        module="Contacts",
        record_ids=["2445013000000402006", "2445013000000141005"],
        tag_names=["From Email", "In Progress"],
    )
