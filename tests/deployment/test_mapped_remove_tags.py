"""RemoveTagsOperator mapped over 24 task instances on a real Airflow 3 deployment, against the sandbox.

The scheduler's LocalExecutor runs each mapped task instance as a process of its own that reaches Airflow
only through the Task SDK (the API server's execution API), as a Celery or Kubernetes worker would. All of
them share one connection and start with a cold token cache: the Variable store must keep the token grants
to Zoho at one or two, every record must end right, and no task may fail.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from tests.deployment.airflow_deployment import AirflowDeployment

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

DAG_ID = "bigin_mapped_remove_tags"
MODULE = "Contacts"
TAG = "Newsletter"
TASKS = 24
IDS_PER_TASK = 10
#: A well-formed id that no record has: Bigin answers INVALID_DATA for it, record by record.
UNKNOWN_ID = "2445013999999999999"
MAX_GRANTS = 2  # goal 1; two hosts (here: processes) racing the same lease may both refresh

DAG_SOURCE = """
from __future__ import annotations

import json

import pendulum
from airflow.sdk import DAG

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

ID_LISTS = json.loads({id_lists!r})

with DAG(
    dag_id={dag_id!r},
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks={tasks},
):
    RemoveTagsOperator.partial(
        task_id="remove_tags",
        module={module!r},
        tag_names=[{tag!r}],
        on_partial_failure="warn",
    ).expand(record_ids=ID_LISTS)
"""


def _tagged_ids(sandbox: Sandbox) -> list[str]:
    records = sandbox.records(MODULE)
    return sorted(rid for rid, record in records.items() if TAG in {t["name"] for t in record["Tag"]})


def _id_lists(tagged: list[str]) -> list[list[str]]:
    """TASKS lists of IDS_PER_TASK tagged ids; every third list also names an id that does not exist."""
    assert len(tagged) >= TASKS * IDS_PER_TASK, "the demo data set has too few records with the tag"
    lists = [tagged[i * IDS_PER_TASK : (i + 1) * IDS_PER_TASK] for i in range(TASKS)]
    return [[*ids, UNKNOWN_ID] if index % 3 == 0 else ids for index, ids in enumerate(lists)]


def _expected_results(ids: list[str]) -> list[tuple[str, str, str]]:
    return [
        (rid, "error", "INVALID_DATA") if rid == UNKNOWN_ID else (rid, "success", "SUCCESS") for rid in ids
    ]


def _all_tags(sandbox: Sandbox) -> dict[str, set[str]]:
    return {rid: {t["name"] for t in record["Tag"]} for rid, record in sandbox.records(MODULE).items()}


def _most_at_once(task_instances: list[dict[str, Any]]) -> int:
    """The largest number of task instances that were running at the same moment."""
    events = sorted(
        [(ti["start_date"], 1) for ti in task_instances] + [(ti["end_date"], -1) for ti in task_instances],
        key=lambda event: (event[0], event[1]),
    )
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def test_mapped_remove_tags_on_a_real_deployment_makes_at_most_two_token_grants(
    process_sandbox: Sandbox, deployment_dirs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = process_sandbox
    home, dags, token_dir = deployment_dirs
    before = _all_tags(sandbox)
    id_lists = _id_lists(_tagged_ids(sandbox))
    (dags / f"{DAG_ID}.py").write_text(
        DAG_SOURCE.format(id_lists=json.dumps(id_lists), dag_id=DAG_ID, tasks=TASKS, module=MODULE, tag=TAG)
    )
    env = {**sandbox.connection_env(), "BIGIN_TOKEN_CACHE_DIR": str(token_dir)}

    deployment = AirflowDeployment(home, dags, env=env, parallelism=8)
    with deployment:
        api = deployment.api
        api.wait_for_dag(DAG_ID, timeout=120)
        sandbox.reset_stats()
        started = time.monotonic()
        run_id = api.trigger_dag(DAG_ID)
        state = api.wait_for_run(DAG_ID, run_id, timeout=360)
        seconds = time.monotonic() - started
        task_instances = api.task_instances(DAG_ID, run_id)
        results = {
            ti["map_index"]: api.xcom(DAG_ID, run_id, "remove_tags", map_index=ti["map_index"])
            for ti in task_instances
        }
        summaries = {
            ti["map_index"]: api.xcom(DAG_ID, run_id, "remove_tags", key="summary", map_index=ti["map_index"])
            for ti in task_instances
        }
        run = api.dag_run(DAG_ID, run_id)
    stats = sandbox.stats()

    # Every process the deployment started is gone, task processes included.
    assert deployment.leftover_pids() == []

    # Every task ran, in a process of its own, and none failed.
    assert state == "success"
    assert sorted(ti["map_index"] for ti in task_instances) == list(range(TASKS))
    assert {ti["state"] for ti in task_instances} == {"success"}
    assert len({ti["pid"] for ti in task_instances}) == TASKS

    # One cold start across all task processes: at most two grants, none refused by the token budget.
    assert stats["token_grants"] <= MAX_GRANTS, stats
    assert stats["access_denied"] == 0, stats

    # Every record's outcome, in input order, in the XCom; and one call per task, no retries.
    for index, ids in enumerate(id_lists):
        got = [(r["id"], r["status"], r["code"]) for r in results[index]]
        assert got == _expected_results(ids), f"map index {index}"
        summary = summaries[index]
        assert (summary["requested"], summary["failed"]) == (len(ids), ids.count(UNKNOWN_ID))
        assert (summary["api_calls"], summary["retries"]) == (1, 0)
    assert stats["calls"].get("remove_tags", 0) == TASKS

    # The sandbox's state: the tag is gone from exactly the listed records; every other tag is untouched.
    listed = {rid for ids in id_lists for rid in ids if rid != UNKNOWN_ID}
    expected = {rid: tags - {TAG} if rid in listed else tags for rid, tags in before.items()}
    assert _all_tags(sandbox) == expected

    # No secret in any task log or component log.
    logs = deployment.task_log_files() + [p.log_path for p in deployment.processes.values()]
    assert logs
    for secret in (sandbox.client_secret, sandbox.refresh_token):
        leaked = [str(path) for path in logs if secret in path.read_text(errors="replace")]
        assert leaked == []

    figures = {
        "tasks": TASKS,
        "records": sum(len(ids) for ids in id_lists),
        "token_grants": stats["token_grants"],
        "token_requests": stats["calls"].get("token", 0),
        "remove_tags_calls": stats["calls"].get("remove_tags", 0),
        "most_tasks_at_once": _most_at_once(task_instances),
        "run_seconds": round(seconds, 1),
        "run_start": run["start_date"],
        "run_end": run["end_date"],
    }
    with capsys.disabled():
        print(f"\nreal-deployment figures: {json.dumps(figures)}")
