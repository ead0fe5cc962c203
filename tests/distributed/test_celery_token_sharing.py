"""Many Celery workers, one Zoho org: a cold fan-out of RemoveTagsOperator makes at most two token grants.

A CeleryExecutor deployment on PostgreSQL and Redis (``celery_deployment.py``) with two workers that behave as
separate hosts runs RemoveTagsOperator mapped over 66 task instances across three Bigin modules, against ONE
sandbox with Zoho's token budget (10 grants in 10 minutes) and Bigin's cap of 10 calls in flight per org. No
per-host file lock spans the workers: only the Airflow Variable lease (``hooks/variable_store.py``), over the
Execution API on PostgreSQL, stands between the fan-out and the budget.

Run 1: each worker keeps one token cache directory for all its tasks, as a Celery host does. Run 2: every task
process gets a directory of its own (set in ``pre_execute``, before the operator builds its hook), as a
KubernetesExecutor pod would. Each run starts cold (no Variable, every sandbox token expired) from the same
tags, and prints one line of figures for the README.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from tests.distributed.celery_deployment import CeleryDeployment
from tests.distributed.celery_workers import host_name, token_cache_dir

# Each test is bounded (the first one includes starting everything), so the module ends within 10 minutes.
pytestmark = [pytest.mark.distributed, pytest.mark.timeout(270)]

WORKERS = 2
WORKER_CONCURRENCY = 6
#: (module, tag) pairs with enough tagged records in the sandbox's demo data (sandbox/demo_data.py).
TARGETS = (("Contacts", "Newsletter"), ("Accounts", "Q3 Campaign"), ("Pipelines", "Hot Lead"))
TASKS_PER_MODULE = 22
IDS_PER_TASK = 4
TASKS = TASKS_PER_MODULE * len(TARGETS)
MAX_GRANTS = 2  # goal 1; two hosts writing their leases within the same settle pause may both refresh
#: Bigin's reported cap on calls in flight for the whole org (docs/zoho-facts.md, section 5).
ORG_MAX_CONCURRENCY = 10
#: A round trip to Zoho takes a few hundred milliseconds; with none, calls would rarely overlap.
LATENCY_MS = 300
RUN_TIMEOUT = 200
SHARED_DAG = "bigin_celery_fan_out_shared_cache"
PER_TASK_DAG = "bigin_celery_fan_out_cache_per_task"

DAG_SOURCE = """
from __future__ import annotations

import json
import os

import pendulum
from airflow.sdk import DAG

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

CALLS = json.loads({calls!r})
TOKEN_CACHES = {token_caches!r}


class RemoveTagsInAPodOfItsOwn(RemoveTagsOperator):
    \"\"\"RemoveTagsOperator with a token cache directory no other task shares, as a Kubernetes pod has.\"\"\"

    def pre_execute(self, context):
        # Before execute(), which builds the hook and so the token store that reads this variable.
        directory = os.path.join(TOKEN_CACHES, f"map-index-{{context['ti'].map_index}}")
        os.environ["BIGIN_TOKEN_CACHE_DIR"] = directory
        super().pre_execute(context)


for dag_id, operator in (({shared_dag!r}, RemoveTagsOperator), ({per_task_dag!r}, RemoveTagsInAPodOfItsOwn)):
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        max_active_tasks=len(CALLS),
    ):
        operator.partial(task_id="remove_tags").expand_kwargs(CALLS)
"""


def planned_calls(sandbox: Sandbox) -> list[dict[str, Any]]:
    """One task instance's arguments per entry, the modules interleaved so that every worker meets each."""
    per_module = []
    for module, tag in TARGETS:
        tagged = sorted(
            rid
            for rid, record in sandbox.records(module).items()
            if tag in {t["name"] for t in record["Tag"]}
        )
        assert len(tagged) >= TASKS_PER_MODULE * IDS_PER_TASK, f"too few {module} records tagged {tag!r}"
        per_module.append(
            [
                {
                    "module": module,
                    "tag_names": [tag],
                    "record_ids": tagged[i * IDS_PER_TASK : (i + 1) * IDS_PER_TASK],
                }
                for i in range(TASKS_PER_MODULE)
            ]
        )
    return [calls[i] for i in range(TASKS_PER_MODULE) for calls in per_module]


def all_tags(sandbox: Sandbox) -> dict[tuple[str, str], set[str]]:
    """Every record's tag names in the three modules, by (module, id)."""
    return {
        (module, rid): {t["name"] for t in record["Tag"]}
        for module, _ in TARGETS
        for rid, record in sandbox.records(module).items()
    }


def expected_tags(
    before: dict[tuple[str, str], set[str]], calls: list[dict[str, Any]]
) -> dict[tuple[str, str], set[str]]:
    """``before`` with each call's tag gone from exactly its records."""
    after = {key: set(tags) for key, tags in before.items()}
    for call in calls:
        for rid in call["record_ids"]:
            after[(call["module"], rid)] -= set(call["tag_names"])
    return after


@dataclass
class Cluster:
    sandbox: Sandbox
    deployment: CeleryDeployment
    calls: list[dict[str, Any]]
    before: dict[tuple[str, str], set[str]]
    token_caches: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("distributed")
    dags, token_caches = root / "dags", root / "task-token-caches"
    dags.mkdir()
    with Sandbox(process=True, max_concurrency=ORG_MAX_CONCURRENCY, latency_ms=LATENCY_MS) as sandbox:
        calls = planned_calls(sandbox)
        (dags / "bigin_celery_fan_out.py").write_text(
            DAG_SOURCE.format(
                calls=json.dumps(calls),
                token_caches=str(token_caches),
                shared_dag=SHARED_DAG,
                per_task_dag=PER_TASK_DAG,
            )
        )
        deployment = CeleryDeployment(
            root,
            dags,
            env=sandbox.connection_env(),
            workers=WORKERS,
            worker_concurrency=WORKER_CONCURRENCY,
        )
        with deployment:
            for dag_id in (SHARED_DAG, PER_TASK_DAG):
                deployment.airflow.api.wait_for_dag(dag_id, timeout=120)
            yield Cluster(sandbox, deployment, calls, all_tags(sandbox), token_caches)
        assert deployment.leftover_pids() == []


def cold_start(cluster: Cluster) -> None:
    """The tags as they were; no token anywhere: no Variable (token or lease), no live sandbox token."""
    sandbox, api = cluster.sandbox, cluster.deployment.airflow.api
    now = all_tags(sandbox)
    for (module, rid), tags in cluster.before.items():
        if now[(module, rid)] != tags:
            sandbox.set_tags(module, rid, sorted(tags))
    for variable in api.request("GET", "/variables", params={"limit": 100})["variables"]:
        api.request("DELETE", f"/variables/{variable['key']}")
    sandbox.expire_access_tokens()
    sandbox.reset_stats()


@dataclass(frozen=True)
class RunFigures:
    tasks: int
    hosts: int
    grants: int
    rejections: int
    denials: int
    seconds: float

    def line(self, run: int) -> str:
        grants = f"{self.grants} grant{'' if self.grants == 1 else 's'}"
        return (
            f"distributed run {run}: {self.tasks} tasks, {self.hosts} workers, {grants}, "
            f"{self.rejections} 429s, {self.denials} denials, {self.seconds:.0f} s"
        )


def failed_logs(cluster: Cluster, dag_id: str, run_id: str, failed: dict[int, str]) -> str:
    """The end of the log of the first few failed task instances, to say why."""
    folder = cluster.deployment.airflow.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
    tails = []
    for index in sorted(failed)[:3]:
        for path in sorted((folder / "task_id=remove_tags" / f"map_index={index}").glob("*")):
            tails.append(
                f"--- map index {index}: {path.name} ---\n" + path.read_text(errors="replace")[-6000:]
            )
    return "\n".join(tails) or cluster.deployment.logs_tail()


def run_and_check(cluster: Cluster, dag_id: str) -> tuple[RunFigures, dict[str, Any]]:
    """Trigger ``dag_id`` cold, wait, and check every task, every XCom and the sandbox's final state."""
    sandbox, airflow = cluster.sandbox, cluster.deployment.airflow
    cold_start(cluster)
    started = time.monotonic()
    run_id = airflow.api.trigger_dag(dag_id)
    state = airflow.api.wait_for_run(dag_id, run_id, timeout=RUN_TIMEOUT)
    seconds = time.monotonic() - started
    stats = sandbox.stats()
    task_instances = airflow.api.task_instances(dag_id, run_id)
    failed = {ti["map_index"]: ti["state"] for ti in task_instances if ti["state"] != "success"}
    assert (state, failed) == ("success", {}), failed_logs(cluster, dag_id, run_id, failed)
    assert sorted(ti["map_index"] for ti in task_instances) == list(range(TASKS))
    hosts = {ti["hostname"] for ti in task_instances}
    assert hosts == {host_name(index) for index in range(1, WORKERS + 1)}, "every worker ran tasks"

    # One cold start across every task process on every host: one or two grants, none refused.
    assert stats["token_grants"] <= MAX_GRANTS, stats
    assert stats["access_denied"] == 0, stats

    # Every record's outcome in its task's XCom; the tag gone from exactly the listed records, nothing else.
    for ti in task_instances:
        call = cluster.calls[ti["map_index"]]
        results = airflow.api.xcom(dag_id, run_id, "remove_tags", map_index=ti["map_index"])
        assert [(r["id"], r["status"]) for r in results] == [(rid, "success") for rid in call["record_ids"]]
    assert all_tags(sandbox) == expected_tags(cluster.before, cluster.calls)

    figures = RunFigures(
        tasks=len(task_instances),
        hosts=len(hosts),
        grants=stats["token_grants"],
        rejections=stats["concurrency_rejections"],
        denials=stats["access_denied"],
        seconds=seconds,
    )
    return figures, stats


def dirs_with_a_lock(directories: list[Path]) -> int:
    """How many of the token cache directories hold a lock file: their processes went for a refresh turn."""
    return sum(1 for path in directories if path.is_dir() and any(path.glob("*.lock")))


def show(
    run: int,
    figures: RunFigures,
    stats: dict[str, Any],
    turns: dict[str, int],
    *,
    record_property: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One quotable line (``pytest -s`` or not), then the sandbox's counters and who went for a refresh turn
    (a lock file in their token cache); the line also goes to the JUnit report."""
    line = figures.line(run)
    record_property(f"distributed_run_{run}", line)
    details = {key: stats[key] for key in ("calls", "status_codes", "max_concurrency_seen", "requests")}
    with capsys.disabled():
        print(f"\n{line}\n  sandbox: {json.dumps(details)}\n  refresh turns: {json.dumps(turns)}")


def test_celery_workers_with_a_token_cache_per_host_share_one_token(
    cluster: Cluster, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    figures, stats = run_and_check(cluster, SHARED_DAG)
    hosts = [token_cache_dir(cluster.deployment.hosts, index) for index in range(1, WORKERS + 1)]
    show(
        1, figures, stats, {"hosts": dirs_with_a_lock(hosts)}, record_property=record_property, capsys=capsys
    )


def test_task_processes_with_a_token_cache_each_still_share_one_token(
    cluster: Cluster, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    figures, stats = run_and_check(cluster, PER_TASK_DAG)
    # Each task's hook made (and so read) the directory its pre_execute named: a cache of its own each.
    made = sorted(path.name for path in cluster.token_caches.iterdir() if path.is_dir())
    assert made == sorted(f"map-index-{index}" for index in range(TASKS))
    turns = {"task_processes": dirs_with_a_lock(list(cluster.token_caches.iterdir()))}
    show(2, figures, stats, turns, record_property=record_property, capsys=capsys)
