"""The flagship DAG's tag tasks trigger the DAG scheduled on the Contacts asset, on a real deployment.

The scheduler runs `example_bigin_data_quality` on its own schedule (catchup off: one run for the latest day);
its tag tasks, each in a process of its own, add the asset of the module they changed to the alias in their
outlets, with their figures as the event's extra. The scheduler then starts `example_bigin_tag_changes`, which
is scheduled on `bigin://{sandbox host}/Contacts`, and which reads the events' extras. Three rules change
Contacts and one changes Pipelines: the consumer must see Contacts events only, each with the figures its tag
task's summary XCom holds. Airflow may start it on the first of several events that arrive at once
and leave the others for its next run: the test asks for at least one, and prints how many it read.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from demo.warehouse import build_warehouse, warehouse_connection_env
from tests.deployment.airflow_deployment import AirflowDeployment
from tests.deployment.airflow_rest import AirflowRestClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO_DAGS = Path(__file__).resolve().parents[2] / "airflow_provider_bigin" / "example_dags"
PRODUCER = "example_bigin_data_quality"
CONSUMER = "example_bigin_tag_changes"
FIGURES = ("action", "module", "tags", "requested", "succeeded", "failed", "dry_run")
_POLL_SECONDS = 1.0


def dag_runs(api: AirflowRestClient, dag_id: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = api.request("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})[
        "dag_runs"
    ]
    return runs


def first_run(api: AirflowRestClient, dag_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runs := dag_runs(api, dag_id):
            return runs[0]
        time.sleep(_POLL_SECONDS)
    raise AssertionError(f"the scheduler started no run of {dag_id} within {timeout:.0f}s")


def consumed_lines(api: AirflowRestClient, want: int, settle: float) -> tuple[list[dict[str, Any]], int]:
    """The consumer's lines over its finished runs, and how many runs it made.

    Waits until its runs hold `want` events, or until it has run and made no new run for `settle` seconds:
    Airflow may start it on the first of events that arrive together and, without a later event, never
    start it again for the others (they come with its next run).
    """
    deadline = time.monotonic() + settle
    seen: tuple[int, int] = (0, 0)
    lines: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    while True:
        runs = dag_runs(api, CONSUMER)
        assert all(run["state"] != "failed" for run in runs), runs
        finished = [run for run in runs if run["state"] == "success"]
        lines = [line for run in finished for line in api.xcom(CONSUMER, run["dag_run_id"], "changed_tags")]
        if (len(runs), len(lines)) != seen:
            seen, deadline = (len(runs), len(lines)), time.monotonic() + settle
        if runs and len(finished) == len(runs) and (len(lines) >= want or time.monotonic() > deadline):
            return lines, len(runs)
        if time.monotonic() > deadline:
            raise AssertionError(f"{CONSUMER} did not finish a run within {settle:.0f}s; runs: {runs}")
        time.sleep(_POLL_SECONDS)


def run_events(api: AirflowRestClient, run_id: str, want: int, timeout: float) -> dict[str, Any]:
    """The producer run's asset events, read until `want` of them are visible or `timeout` passes.

    Once, on a loaded CI machine, the list read right after the run's success held 3 of its 4 events (cause
    not found; the diagnosis below says what the servers logged if it happens again). The test compares what
    it finally sees, so an event that never comes still fails it.
    """
    deadline = time.monotonic() + timeout
    while True:
        events: dict[str, Any] = api.request(
            "GET",
            "/assets/events",
            params={"source_dag_id": PRODUCER, "source_run_id": run_id, "limit": 100},
        )
        if len(events["asset_events"]) >= want or time.monotonic() > deadline:
            return events
        time.sleep(_POLL_SECONDS)


def why_events_differ(deployment: AirflowDeployment, run_id: str) -> str:
    """What the API server and the tag tasks logged about assets and state updates, if an event is missing."""
    words = ("asset", "Asset", "Error updating", "locked", "IntegrityError", "Traceback", "retry")
    server = [line for line in deployment.logs_tail(5000).splitlines() if any(word in line for word in words)]
    tasks = deployment.task_log_tail(PRODUCER, run_id, "remove_tags", lines=15)
    return "\n".join(["API server and scheduler:", *server[-80:], "tag tasks:", tasks])


def test_the_flagship_triggers_the_dag_scheduled_on_its_contacts_asset_with_its_figures(
    process_sandbox: Sandbox,
    deployment_dirs: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox = process_sandbox
    home, dags, token_dir = deployment_dirs
    for name in (PRODUCER, CONSUMER):
        shutil.copy(REPO_DAGS / f"{name}.py", dags / f"{name}.py")
    records = {module: list(sandbox.records(module).values()) for module in ("Contacts", "Pipelines")}
    warehouse = build_warehouse(tmp_path / "warehouse.db", records)
    env = {
        **sandbox.connection_env(),
        **warehouse_connection_env(warehouse.path),
        "BIGIN_TOKEN_CACHE_DIR": str(token_dir),
    }
    contacts = f"bigin://{sandbox.url.split('://', 1)[1]}/Contacts"

    deployment = AirflowDeployment(home, dags, env=env, parallelism=2, pools={"bigin_api": 10})
    with deployment:
        api = deployment.api
        api.wait_for_dag(CONSUMER, timeout=120)
        api.wait_for_dag(PRODUCER, timeout=120)
        consumer_details = api.request("GET", f"/dags/{CONSUMER}/details")
        started = time.monotonic()
        producer_run = first_run(api, PRODUCER, timeout=120)["dag_run_id"]
        state = api.wait_for_run(PRODUCER, producer_run, timeout=300)
        producer_seconds = time.monotonic() - started
        tasks = api.task_instances(PRODUCER, producer_run)
        summaries = [
            api.xcom(PRODUCER, producer_run, "remove_tags", key="summary", map_index=ti["map_index"])
            for ti in tasks
            if ti["task_id"] == "remove_tags"
        ]
        events = run_events(api, producer_run, want=len(summaries), timeout=30)
        lines, consumer_runs = consumed_lines(api, want=3, settle=60)
        seconds = time.monotonic() - started
    assert deployment.leftover_pids() == []
    diagnosis = why_events_differ(deployment, producer_run)

    assert state == "success", {(ti["task_id"], ti["map_index"]): ti["state"] for ti in tasks}
    # The consumer is scheduled on the Contacts asset of the connection's host.
    assert contacts in json.dumps(consumer_details["asset_expression"])
    # Four tag tasks: an event each on its own module's asset, the figures of its summary as extra.
    recorded = sorted(
        (event["uri"], json.dumps(event["extra"], sort_keys=True)) for event in events["asset_events"]
    )
    expected = sorted(
        (
            contacts.replace("/Contacts", f"/{s['module']}"),
            json.dumps({k: s[k] for k in FIGURES}, sort_keys=True),
        )
        for s in summaries
    )
    assert recorded == expected, diagnosis
    # The consumer ran on the Contacts events: each line it read is one Contacts tag task's figures, none is
    # the Pipelines task's, none is read twice.
    contacts_figures = [{k: s[k] for k in FIGURES} for s in summaries if s["module"] == "Contacts"]
    assert len(contacts_figures) == 3
    read = [{k: line[k] for k in FIGURES} for line in lines]
    assert read
    assert all(figures in contacts_figures for figures in read)
    assert len({json.dumps(figures, sort_keys=True) for figures in read}) == len(read)
    assert {line["asset"] for line in lines} == {contacts}
    assert {line["source_dag"] for line in lines} == {PRODUCER}
    assert all(line["succeeded"] > 0 and line["failed"] == 0 for line in lines)

    report = {
        "asset_events": len(events["asset_events"]),
        "contacts_events_consumed": len(lines),
        "consumer_runs": consumer_runs,
        "producer_run_seconds": round(producer_seconds, 1),
        "until_consumed_seconds": round(seconds, 1),
    }
    with capsys.disabled():
        print(f"\nasset-event figures: {json.dumps(report)}")
