"""Large runs on a real Airflow 3 deployment: 100,000 and 1,000,000 records through XCom and back.

In a deployment every XCom travels through the API server's Execution API, whose calls time out after 5 s
by default. These tests run the operator the way a user would at those sizes (an upstream ``@task`` with the
ids, the operator, a downstream ``@task`` that reads what it returned) and check that every task succeeds and
every record ends right: with the default arguments, with ``results_path``, and with Airflow's object-storage
XCom backend carrying a million records' results.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.seeding import (
    EMPTY_SEED,
    FIRST_SERIAL,
    ID_PREFIX,
    KEPT_TAG,
    add_bench_records,
    record_ids,
)
from tests.deployment.airflow_deployment import AirflowDeployment

pytestmark = [pytest.mark.integration]

MODULE = "Contacts"
TAG = "Newsletter"
HUNDRED_K = 100_000
MILLION = 1_000_000
RUNS = 5
IDS_PER_CALL = 500
#: Values from this size on go to the object store; the summary (a few hundred bytes) stays in the table.
XCOM_THRESHOLD = 64 * 1024
#: What the XCom table may hold for a value kept in the object store: its path, not the value.
MAX_REFERENCE_BYTES = 1024
#: Seconds one run may take: measured 6-14 s at 100,000 ids and 66-156 s at 1,000,000, on 2 busy cores.
RUN_TIMEOUT_100K = 180
RUN_TIMEOUT_1M = 600
DAG_TIMEOUT = 120
OBJECT_STORAGE_BACKEND = "airflow.providers.common.io.xcom.backend.XComObjectStorageBackend"

DEFAULTS_DAG = "bigin_large_run_defaults"
RESULTS_PATH_DAG = "bigin_large_run_results_path"
OBJECT_STORE_DAG = "bigin_large_run_object_store"

#: The ids the upstream task returns: those of benchmarks.seeding.record_ids(COUNT), in the same order.
_HEAD = """
from __future__ import annotations

import collections
import json

import pendulum
from airflow.sdk import DAG, ObjectStoragePath, task

from airflow_provider_bigin.operators.tags import RemoveTagsOperator


@task
def find_ids() -> list[str]:
    return [f"${prefix}{${first} + index:012d}" for index in range(${count})]


def dag(dag_id: str) -> DAG:
    return DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
    )
"""

DEFAULTS_SOURCE = """
@task(multiple_outputs=False)  # one report, not one XCom per key
def check(results: list[dict], summary: dict) -> dict:
    return {
        "returned": len(results),
        "statuses": dict(collections.Counter(r["status"] for r in results)),
        "summary": summary,
    }


with dag(${dag_id}):
    removed = RemoveTagsOperator(
        task_id="remove_tags", module=${module}, record_ids=find_ids(), tag_names=[${tag}]
    )
    check(removed.output, removed.output["summary"])
"""

RESULTS_PATH_SOURCE = """
@task(multiple_outputs=False)
def read_results(results: list[dict], summary: dict) -> dict:
    statuses, keys, ids, lines = collections.Counter(), set(), set(), 0
    with ObjectStoragePath(summary["results_path"]).open("r") as file:
        for line in file:
            record = json.loads(line)
            lines += 1
            statuses[record["status"]] += 1
            keys.add(",".join(sorted(record)))
            ids.add(record["id"])
    return {
        "returned": len(results),
        "summary": summary,
        "lines": lines,
        "statuses": dict(statuses),
        "keys": sorted(keys),
        "distinct_ids": len(ids),
        "lowest": min(ids, default=None),
        "highest": max(ids, default=None),
    }


with dag(${dag_id}):
    removed = RemoveTagsOperator(
        task_id="remove_tags",
        module=${module},
        record_ids=find_ids(),
        tag_names=[${tag}],
        results_path=${results_path},
    )
    read_results(removed.output, removed.output["summary"])
"""

OBJECT_STORE_SOURCE = """
@task(multiple_outputs=False)  # one report, not one XCom per key
def check(results: list[dict]) -> dict:
    return {
        "returned": len(results),
        "statuses": dict(collections.Counter(r["status"] for r in results)),
        "distinct_ids": len({r["id"] for r in results}),
        "first": results[0]["id"],
        "last": results[-1]["id"],
    }


with dag(${dag_id}):
    removed = RemoveTagsOperator(
        task_id="remove_tags",
        module=${module},
        record_ids=find_ids(),
        tag_names=[${tag}],
        return_records="all",
    )
    check(removed.output)
"""


def dag_source(body: str, *, dag_id: str, count: int, **values: str) -> str:
    """A DAG file: the shared head (upstream task, DAG factory) and one body, every value a Python literal."""
    literals = {
        "prefix": ID_PREFIX,
        "first": str(FIRST_SERIAL),
        "count": str(count),
        "dag_id": repr(dag_id),
        "module": repr(MODULE),
        "tag": repr(TAG),
        **{name: repr(value) for name, value in values.items()},
    }
    return Template(_HEAD).substitute(literals) + Template(body).substitute(literals)


# Arranging and inspecting --------------------------------------------------------------------------------


def retag(sandbox: Sandbox, count: int) -> None:
    """Every benchmark record carries TAG (and KEPT_TAG) again: the next run has ``count`` changes to make.

    Adding a record whose id exists replaces it, tags included."""
    add_bench_records(sandbox, MODULE, count, (TAG,))


def tag_sets(sandbox: Sandbox) -> dict[frozenset[str], int]:
    """How many records carry each combination of tags."""
    counts: dict[frozenset[str], int] = {}
    for record in sandbox.records(MODULE).values():
        names = frozenset(tag["name"] for tag in record["Tag"])
        counts[names] = counts.get(names, 0) + 1
    return counts


@dataclass
class PeakRss:
    """The peak resident memory (VmHWM) of every process in the deployment, sampled from ``/proc``.

    A task process lives for seconds; its high-water mark is read while it runs, so the figure is a lower
    bound by at most what the last 0.25 s added.
    """

    deployment: AirflowDeployment
    interval: float = 0.25
    peaks_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in self.deployment.leftover_pids():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:  # ended while we looked
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1])
                        self.peaks_kb[pid] = max(kb, self.peaks_kb.get(pid, 0))

    def mb(self, pid: int | None) -> float | None:
        kb = self.peaks_kb.get(pid) if pid is not None else None
        return None if kb is None else round(kb / 1024, 1)


@dataclass(frozen=True)
class FinishedRun:
    run_id: str
    seconds: float
    task_instances: dict[str, dict[str, Any]]


def run_to_success(deployment: AirflowDeployment, dag_id: str, timeout: float) -> FinishedRun:
    """Trigger one run and wait for it; fail with every task's state and the failed tasks' logs unless every
    task succeeded at its first try."""
    api = deployment.api
    started = time.monotonic()
    run_id = api.trigger_dag(dag_id)
    state = api.wait_for_run(dag_id, run_id, timeout=timeout)
    seconds = time.monotonic() - started
    task_instances = {ti["task_id"]: ti for ti in api.task_instances(dag_id, run_id)}
    tries = {task_id: (ti["state"], ti["try_number"]) for task_id, ti in task_instances.items()}
    if state != "success" or any(ti_state != "success" or n != 1 for ti_state, n in tries.values()):
        logs = "\n".join(
            deployment.task_log_tail(dag_id, run_id, task_id, lines=25)
            for task_id, (ti_state, _) in tries.items()
            if ti_state != "success"
        )
        pytest.fail(f"run {run_id} of {dag_id} ended {state}; tasks (state, try): {tries}\n{logs}")
    return FinishedRun(run_id, seconds, task_instances)


def warnings_about(
    deployment: AirflowDeployment, dag_id: str, run_id: str, task_id: str, word: str
) -> list[str]:
    """The WARNING lines of a task's log (Airflow writes one JSON object a line) that mention ``word``."""
    folder = deployment.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
    found = []
    for path in sorted(folder.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(entry, dict)
                and entry.get("level") == "warning"
                and word in str(entry.get("event"))
            ):
                found.append(str(entry["event"]))
    return found


def task_seconds(ti: dict[str, Any]) -> float | None:
    """Seconds from the task instance's start to its end (Airflow 3.1.8's ``duration`` field disagrees with
    its own dates, by up to 2x)."""
    if not (ti.get("start_date") and ti.get("end_date")):
        return None
    start, end = (
        datetime.fromisoformat(str(ti[key]).replace("Z", "+00:00")) for key in ("start_date", "end_date")
    )
    return round((end - start).total_seconds(), 1)


def show(
    name: str, figures: dict[str, Any], record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Print the figures (``pytest -s`` or not) and put them in the JUnit report, as one quotable line."""
    line = json.dumps(figures)
    record_property(name, line)
    with capsys.disabled():
        print(f"\n{name}: {line}")


# The deployment that (a) and (c) share -------------------------------------------------------------------


@dataclass(frozen=True)
class HundredK:
    sandbox: Sandbox
    deployment: AirflowDeployment
    results_dir: Path


@pytest.fixture(scope="module")
def hundred_k(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HundredK]:
    """One sandbox holding 100,000 tagged Contacts and one deployment with both 100,000-id DAGs: starting a
    deployment takes longer than a run, so the two tests share it; each re-tags the records first."""
    root = tmp_path_factory.mktemp("large-runs-100k")
    home, dags, token_dir, results_dir = (root / name for name in ("home", "dags", "tokens", "results"))
    for path in (dags, token_dir):
        path.mkdir()
    (dags / f"{DEFAULTS_DAG}.py").write_text(
        dag_source(DEFAULTS_SOURCE, dag_id=DEFAULTS_DAG, count=HUNDRED_K)
    )
    (dags / f"{RESULTS_PATH_DAG}.py").write_text(
        dag_source(
            RESULTS_PATH_SOURCE,
            dag_id=RESULTS_PATH_DAG,
            count=HUNDRED_K,
            results_path=f"{results_dir.as_uri()}/{{{{ run_id }}}}.jsonl",
        )
    )
    with Sandbox(process=True, seed=EMPTY_SEED, latency_ms=0) as sandbox:
        add_bench_records(sandbox, MODULE, HUNDRED_K, (TAG,))
        env = {**sandbox.connection_env(), "BIGIN_TOKEN_CACHE_DIR": str(token_dir)}
        with AirflowDeployment(home, dags, env=env) as deployment:
            for dag_id in (DEFAULTS_DAG, RESULTS_PATH_DAG):
                deployment.api.wait_for_dag(dag_id, timeout=DAG_TIMEOUT)
            yield HundredK(sandbox, deployment, results_dir)
        assert deployment.leftover_pids() == []


# (a) ------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(600)  # the shared deployment's start counts here
def test_default_arguments_at_100k_ids_succeed_run_after_run(
    hundred_k: HundredK, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """With only module, ids and tags, a 100,000-record run must not put what the Execution API cannot carry
    in XCom: five runs in a row, each changing every record, all green."""
    sandbox, deployment = hundred_k.sandbox, hundred_k.deployment
    runs: list[dict[str, Any]] = []
    for _ in range(RUNS):
        retag(sandbox, HUNDRED_K)
        assert tag_sets(sandbox) == {frozenset({TAG, KEPT_TAG}): HUNDRED_K}
        sandbox.reset_stats()

        run = run_to_success(deployment, DEFAULTS_DAG, RUN_TIMEOUT_100K)

        report = deployment.api.xcom(DEFAULTS_DAG, run.run_id, "check")
        summary = report["summary"]
        # Above 20,000 records "auto" returns only the records that failed: none here.
        assert (report["returned"], report["statuses"]) == (0, {})
        assert summary["return_records"] == "failed"
        assert isinstance(summary["return_records_reason"], str)
        assert summary["return_records_reason"]
        assert summary["records_returned"] == 0
        assert (summary["results_path"], summary["results_lines"]) == (None, None)
        # ... and says so once, pointing to results_path.
        warnings = warnings_about(deployment, DEFAULTS_DAG, run.run_id, "remove_tags", "return_records")
        assert len(warnings) == 1, warnings
        assert "results_path" in warnings[0]
        counts = {key: summary[key] for key in ("requested", "succeeded", "failed", "failed_by_code")}
        assert counts == {"requested": HUNDRED_K, "succeeded": HUNDRED_K, "failed": 0, "failed_by_code": {}}
        assert (summary["api_calls"], summary["retries"]) == (HUNDRED_K // IDS_PER_CALL, 0)
        # The run really changed every record, in as many calls as the summary says.
        assert sandbox.stats()["calls"].get("remove_tags", 0) == HUNDRED_K // IDS_PER_CALL
        assert tag_sets(sandbox) == {frozenset({KEPT_TAG}): HUNDRED_K}

        sizes = deployment.xcom_sizes(DEFAULTS_DAG, run.run_id)
        runs.append(
            {
                "run_seconds": round(run.seconds, 1),
                "xcom_bytes": {f"{task}.{key}": size for (task, key, _), size in sorted(sizes.items())},
            }
        )

    show(
        "large-run figures (a) defaults, 100k ids", {"ids": HUNDRED_K, "runs": runs}, record_property, capsys
    )


# (c) ------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_results_path_holds_every_record_for_the_task_downstream(
    hundred_k: HundredK, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``results_path`` is where a large run's per-record outcomes go: the summary names the file, and a
    downstream task opens it through ObjectStoragePath and finds every record, one JSON object a line."""
    sandbox, deployment = hundred_k.sandbox, hundred_k.deployment
    retag(sandbox, HUNDRED_K)
    sandbox.reset_stats()

    run = run_to_success(deployment, RESULTS_PATH_DAG, RUN_TIMEOUT_100K)

    report = deployment.api.xcom(RESULTS_PATH_DAG, run.run_id, "read_results")
    summary = report["summary"]
    written = hundred_k.results_dir / f"{run.run_id}.jsonl"
    assert written.is_file(), sorted(p.name for p in hundred_k.results_dir.glob("*"))
    assert Path(urllib.parse.unquote(urllib.parse.urlsplit(summary["results_path"]).path)) == written
    assert summary["results_lines"] == HUNDRED_K
    assert (summary["requested"], summary["succeeded"], summary["failed"]) == (HUNDRED_K, HUNDRED_K, 0)
    # What the downstream task read: every record once (lines come in the order calls settle, so: as many
    # distinct ids as records, all between the lowest and highest of a contiguous range), each line with the
    # documented keys.
    ids = record_ids(HUNDRED_K)
    assert (report["lines"], report["distinct_ids"]) == (HUNDRED_K, HUNDRED_K)
    assert (report["lowest"], report["highest"]) == (ids[0], ids[-1])
    assert report["statuses"] == {"success": HUNDRED_K}
    assert report["keys"] == ["code,details,id,message,status"]
    # The file took the load off XCom: "auto" above 20,000 records returns only the failures.
    assert report["returned"] == summary["records_returned"] == 0
    warnings = warnings_about(deployment, RESULTS_PATH_DAG, run.run_id, "remove_tags", "return_records")
    assert len(warnings) == 1, warnings
    assert summary["results_path"] in warnings[0]
    assert tag_sets(sandbox) == {frozenset({KEPT_TAG}): HUNDRED_K}

    sizes = deployment.xcom_sizes(RESULTS_PATH_DAG, run.run_id)
    figures = {
        "ids": HUNDRED_K,
        "run_seconds": round(run.seconds, 1),
        "results_file_bytes": written.stat().st_size,
        "xcom_bytes": {f"{task}.{key}": size for (task, key, _), size in sorted(sizes.items())},
    }
    show("large-run figures (c) results_path, 100k ids", figures, record_property, capsys)


# (b) ------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_object_storage_xcom_backend_carries_a_million_results(
    tmp_path: Path, record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Airflow's own answer to large XComs (common-io's XComObjectStorageBackend) works with this operator:
    every one of 1,000,000 results reaches the downstream task while the XCom table holds only a path."""
    home, dags, token_dir, store = (tmp_path / name for name in ("home", "dags", "tokens", "xcom-store"))
    for path in (dags, token_dir):
        path.mkdir()
    (dags / f"{OBJECT_STORE_DAG}.py").write_text(
        dag_source(OBJECT_STORE_SOURCE, dag_id=OBJECT_STORE_DAG, count=MILLION)
    )
    with Sandbox(process=True, seed=EMPTY_SEED, latency_ms=0) as sandbox:
        seeding = time.monotonic()
        add_bench_records(sandbox, MODULE, MILLION, (TAG,))
        seed_seconds = time.monotonic() - seeding
        env = {
            **sandbox.connection_env(),
            "BIGIN_TOKEN_CACHE_DIR": str(token_dir),
            "AIRFLOW__CORE__XCOM_BACKEND": OBJECT_STORAGE_BACKEND,
            "AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_PATH": store.as_uri(),
            "AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_THRESHOLD": str(XCOM_THRESHOLD),
        }
        deployment = AirflowDeployment(home, dags, env=env)
        with deployment:
            deployment.api.wait_for_dag(OBJECT_STORE_DAG, timeout=DAG_TIMEOUT)
            sandbox.reset_stats()
            with PeakRss(deployment) as rss:
                run = run_to_success(deployment, OBJECT_STORE_DAG, RUN_TIMEOUT_1M)
            report = deployment.api.xcom(OBJECT_STORE_DAG, run.run_id, "check")
            summary = deployment.api.xcom(OBJECT_STORE_DAG, run.run_id, "remove_tags", key="summary")
            sizes = deployment.xcom_sizes(OBJECT_STORE_DAG, run.run_id)
            api_server_pids = deployment.processes["api-server"].members()
        stats = sandbox.stats()
        ids = record_ids(MILLION)
        sampled = {rid: sandbox.tags(MODULE, rid) for rid in (ids[0], ids[MILLION // 2], ids[-1])}
    assert deployment.leftover_pids() == []

    # The downstream task got every result, in input order, all of them successes.
    assert (report["returned"], report["distinct_ids"]) == (MILLION, MILLION)
    assert report["statuses"] == {"success": MILLION}
    assert (report["first"], report["last"]) == (ids[0], ids[-1])
    assert summary["return_records"] == "all"
    assert (summary["requested"], summary["succeeded"], summary["failed"]) == (MILLION, MILLION, 0)
    assert summary["records_returned"] == MILLION
    assert stats["calls"].get("remove_tags", 0) == MILLION // IDS_PER_CALL
    assert sampled == {rid: [KEPT_TAG] for rid in sampled}

    # The XCom table holds a reference for the large values, and the values are files under the store.
    reference = sizes[("remove_tags", "return_value", -1)]
    assert reference <= MAX_REFERENCE_BYTES, sizes
    assert sizes[("find_ids", "return_value", -1)] <= MAX_REFERENCE_BYTES, sizes
    run_store = store / OBJECT_STORE_DAG / run.run_id
    value_files = sorted((run_store / "remove_tags").glob("*"))
    assert len(value_files) == 1, value_files
    value_bytes = value_files[0].stat().st_size
    assert value_bytes > XCOM_THRESHOLD

    pids = {task_id: ti.get("pid") for task_id, ti in run.task_instances.items()}
    figures = {
        "ids": MILLION,
        "seed_seconds": round(seed_seconds, 1),
        "run_seconds": round(run.seconds, 1),
        "task_seconds": {task_id: task_seconds(ti) for task_id, ti in run.task_instances.items()},
        "xcom_table_bytes": {f"{task}.{key}": size for (task, key, _), size in sorted(sizes.items())},
        "value_file_bytes": value_bytes,
        "ids_file_bytes": sum(path.stat().st_size for path in (run_store / "find_ids").glob("*")),
        "peak_rss_mb": {task_id: rss.mb(pid) for task_id, pid in pids.items()},
        "api_server_peak_rss_mb": max((rss.mb(pid) or 0.0 for pid in api_server_pids), default=None),
    }
    show("large-run figures (b) object-storage XCom backend, 1M ids", figures, record_property, capsys)
