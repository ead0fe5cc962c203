"""The flagship DAG under `airflow dags test`, OpenLineage writing to a file: one graph from SQL to Bigin.

The rule queries' events name the warehouse tables they read; the tag tasks' events, in the same DAG run, name
the Bigin module they changed as output, with the run's figures, exactly as the summary XCom has them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from demo.run_demo import airflow_env
from demo.warehouse import build_warehouse

DAG_ID = "example_bigin_data_quality"
WAREHOUSE_TABLES = {"main.bigin_contacts", "main.bigin_deals", "main.bigin_record_tags", "main.email_bounces"}


def airflow(args: list[str], env: dict[str, str], log: Path, *, expect: int = 0) -> None:
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=env,
            stdout=out,
            check=False,
            stderr=subprocess.STDOUT,
            timeout=540,
        )
    assert done.returncode == expect, log.read_text()[-4000:]


def summaries(metadata_db: Path) -> dict[str, dict[str, Any]]:
    """Each tag task's summary XCom by module and tag, read from the run's metadata DB."""
    with closing(sqlite3.connect(metadata_db)) as db:
        rows = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = 'remove_tags' AND key = 'summary'",
            (DAG_ID,),
        ).fetchall()
    found = [json.loads(value) for (value,) in rows]
    return {f"{s['module']}:{s['tags'][0]}": s for s in found}


def complete_events(path: Path, job: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == job]


@pytest.mark.slow
def test_flagship_lineage_links_the_rule_tables_to_the_bigin_modules_in_one_run(
    bigin_sandbox: Sandbox, tmp_path: Path
) -> None:
    records = {module: list(bigin_sandbox.records(module).values()) for module in ("Contacts", "Pipelines")}
    warehouse = build_warehouse(tmp_path / "warehouse.db", records)
    home = tmp_path / "airflow-home"
    home.mkdir()
    events_file = tmp_path / "openlineage.jsonl"
    env = {
        **airflow_env(home, bigin_sandbox.connection_env(), warehouse.path),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "bigin_demo",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    airflow(["db", "migrate"], env, tmp_path / "db-migrate.log")
    airflow(["dags", "test", DAG_ID], env, tmp_path / "dags-test.log")

    host = bigin_sandbox.url.split("://", 1)[1]
    rules = complete_events(events_file, f"{DAG_ID}.find_rule_breakers")
    tags = complete_events(events_file, f"{DAG_ID}.remove_tags")
    assert len(rules) == 4  # one per rule
    assert len(tags) == 4

    # The rule queries read the mirror tables: they are the lineage graph's inputs.
    for event in rules:
        assert {(i["namespace"], i["name"]) for i in event["inputs"]} == {
            ("sqlite://bigin_warehouse", table) for table in WAREHOUSE_TABLES
        }
    # The tag tasks wrote the modules, each with the figures its summary XCom holds.
    expected = summaries(home / "airflow.db")
    seen = {}
    for event in tags:
        (output,) = event["outputs"]
        assert output["namespace"] == f"bigin://{host}"
        facet = output["facets"]["biginTagChanges"]
        summary = expected[f"{facet['module']}:{facet['tags'][0]}"]
        assert output["name"] == summary["module"]
        assert {key: facet[key] for key in summary if key in facet} == {
            key: summary[key]
            for key in ("action", "module", "tags", "requested", "succeeded", "failed", "dry_run")
        }
        assert output["outputFacets"]["outputStatistics"]["rowCount"] == summary["succeeded"] > 0
        seen[f"{facet['module']}:{facet['tags'][0]}"] = facet["succeeded"]
    assert set(seen) == {
        "Contacts:Newsletter",
        "Contacts:Marketing",
        "Contacts:Hot Lead",
        "Pipelines:Follow-up",
    }

    # Both ends belong to the same DAG run: one parent run for every event.
    parents = {e["run"]["facets"]["parent"]["run"]["runId"] for e in rules + tags}
    assert len(parents) == 1


FAILING_DAG = """
import pendulum
from airflow.sdk import DAG

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

with DAG("bigin_lineage_on_failure", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")):
    RemoveTagsOperator(task_id="untag", module="Deals", record_ids=__IDS__, tag_names=["Follow-up"])
"""


@pytest.mark.slow
def test_a_failed_tag_run_still_reports_its_module_and_what_it_did(
    bigin_sandbox: Sandbox, tmp_path: Path
) -> None:
    ids = [*sorted(bigin_sandbox.records("Pipelines"))[:2], "2445013999999999999"]  # the last one is unknown
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "failing.py").write_text(FAILING_DAG.replace("__IDS__", json.dumps(ids)))
    home = tmp_path / "airflow-home"
    home.mkdir()
    events_file = tmp_path / "openlineage.jsonl"
    env = {
        **airflow_env(home, bigin_sandbox.connection_env(), tmp_path / "no-warehouse.db"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    airflow(["db", "migrate"], env, tmp_path / "db-migrate.log")
    airflow(["dags", "test", "bigin_lineage_on_failure"], env, tmp_path / "dags-test.log", expect=1)

    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    (failed,) = [e for e in events if e["eventType"] == "FAIL" and e["job"]["name"].endswith(".untag")]
    (output,) = failed["outputs"]
    assert (output["namespace"], output["name"]) == (
        f"bigin://{bigin_sandbox.url.split('://', 1)[1]}",
        "Pipelines",
    )
    facet = output["facets"]["biginTagChanges"]
    assert {key: facet[key] for key in ("requested", "succeeded", "failed")} == {
        "requested": 3,
        "succeeded": 2,
        "failed": 1,
    }
