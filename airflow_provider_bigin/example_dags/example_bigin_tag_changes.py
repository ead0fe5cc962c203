"""
### Bigin tag changes: a DAG scheduled on a Bigin module's asset, reading what changed from the events

`example_bigin_data_quality` takes tags off contacts; each of its tag tasks records an event on the asset
`bigin://{api host}/Contacts` (through the alias in its outlets) whose extra holds the run's figures:
`action`, `module`, `tags`, `requested`, `succeeded`, `failed`, `dry_run`. This DAG is scheduled on that
asset, so it runs once those events arrive, and reads them: one line per event, here logged and returned,
in a real deployment the place to refresh a mirror of the contacts' tags or to tell the CRM owners.

The asset is built from the `bigin_default` connection (`conn_id=`), so its host is the one the tag tasks
call; that reads the connection (no secret) when the file is parsed. With a fixed data centre,
`bigin_asset("Contacts", data_center="eu")` reads nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_bigin.lineage.assets import bigin_asset

log = logging.getLogger(__name__)

CONTACTS = bigin_asset("Contacts", conn_id="bigin_default")

with DAG(
    dag_id="example_bigin_tag_changes",
    description="Runs when Bigin contacts' tags changed, and reads what changed from the asset events",
    doc_md=__doc__,
    schedule=[CONTACTS],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bigin", "assets"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
    },  # as every example: Airflow's default is 0
):

    @task
    def changed_tags(*, triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """One line per event on the Contacts asset: which tags, how many records, how many failed."""
        # Events another producer (or the REST API) recorded may carry other extras: only tag runs' are read.
        lines = [
            {"asset": event.asset.uri, "source_dag": event.source_dag_id, **event.extra}
            for event in triggering_asset_events[CONTACTS]
            if "action" in event.extra
        ]
        for line in lines:
            log.info(
                "%s %s on %s: %d of %d records, %d failed%s",
                line["action"],
                ", ".join(line["tags"]),
                line["asset"],
                line["succeeded"],
                line["requested"],
                line["failed"],
                " (dry run)" if line["dry_run"] else "",
            )
        return lines

    changed_tags()
