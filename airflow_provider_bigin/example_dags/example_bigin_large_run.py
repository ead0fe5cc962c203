"""
### A large run: every record's outcome goes to object storage, and a downstream task reads it back

A tag comes off every contact of the warehouse mirror that still carries it: in production that can be
hundreds of thousands of records, far more than an XCom should carry through the Execution API. So:

- `RemoveTagsOperator` writes **every record's outcome** to `results_path` (JSON Lines, one line a record,
  streamed as calls settle) and its `return_value` keeps to the records that did **not** succeed
  (`return_records="failed"`): small whatever the size of the run;
- the `summary` XCom names the file and its line count;
- `read_results` opens the file with `ObjectStoragePath` (a `file://` path here; `s3://`, `gs://` and the
  others work the same, with `scheme://conn_id@bucket/...` naming the storage connection), counts the
  outcomes per status and code, and checks that the file holds one line per record the run was given.

Connections: `bigin_default` (Bigin) and `bigin_warehouse` (here SQLite). Params: `results_url`, the folder
the files go to (one file per run), and `tag`.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, ObjectStoragePath, Param, XComArg, task

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

with DAG(
    dag_id="example_bigin_large_run",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bigin"],
    # Airflow retries nothing by default: a transient Bigin failure (5xx, 429, a lost reply) that outlasts the
    # operator's own retries fails the task, and these try it again. Tag changes are idempotent, so a retry is
    # safe; permanent failures (bad input, an unknown id, a missing scope) fail at once without retries.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "results_url": Param(
            "file:///tmp/bigin-results",
            type="string",
            description="Folder (object storage URL) for the files",
        ),
        "tag": Param("Newsletter", type="string", description="The tag to take off"),
    },
):
    tagged_contacts = SQLExecuteQueryOperator(
        task_id="tagged_contacts",
        conn_id="bigin_warehouse",
        sql="""
            SELECT record_id FROM bigin_record_tags
            WHERE module = 'Contacts' AND tag_name = :tag
            ORDER BY record_id
        """,
        parameters={"tag": "{{ params.tag }}"},
    )

    untag_all = RemoveTagsOperator(
        task_id="untag_all",
        module="Contacts",
        record_ids=tagged_contacts.output,
        tag_names=["{{ params.tag }}"],
        return_records="failed",
        results_path="{{ params.results_url }}/{{ dag.dag_id }}/{{ run_id }}.jsonl",
        on_partial_failure="warn",
    )

    @task(multiple_outputs=False)  # one XCom for the report, not one per key of the returned dict
    def read_results(summary: dict[str, Any], failed: list[dict[str, Any]]) -> dict[str, Any]:
        """Read the file back line by line (it may hold millions): counts per status and code."""
        statuses: Counter[str] = Counter()
        codes: Counter[str] = Counter()
        with ObjectStoragePath(summary["results_path"]).open("r") as results:  # type: ignore[no-untyped-call]
            for line in results:
                record = json.loads(line)
                statuses[record["status"]] += 1
                codes[record["code"]] += 1
        lines = sum(statuses.values())
        if lines != summary["requested"] or lines != summary["results_lines"]:
            raise ValueError(
                f"{summary['results_path']} holds {lines} lines for {summary['requested']} records"
            )
        if statuses["error"] != len(failed):
            raise ValueError(f"the file says {statuses['error']} records failed, return_value {len(failed)}")
        return {
            "path": summary["results_path"],
            "lines": lines,
            "statuses": dict(statuses),
            "codes": dict(codes),
        }

    # TaskFlow hands the task the XComs' values at run time; mypy only sees the XComArgs passed here.
    read_results(XComArg(untag_all, key="summary"), untag_all.output)  # type: ignore[arg-type]
