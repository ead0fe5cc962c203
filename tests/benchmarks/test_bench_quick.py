"""The benchmark's quick form, run for real so that the benchmark code cannot rot.

Asserts the counts the benchmark exists to show (calls, grants, credits, results, XCom rows, lines in a
results file), never a time: the machine is shared and noisy.
"""

from __future__ import annotations

import json
import math

import pytest

from airflow_provider_bigin.operators.returned_records import AUTO_ALL_UP_TO
from benchmarks.conditions import QUICK
from benchmarks.operator_dag import VARIANTS
from benchmarks.operator_figures import DAG_TEST, DEPLOYMENT, OperatorRun
from benchmarks.operator_setting import DEFAULT_BACKEND, OBJECT_STORAGE_BACKEND
from benchmarks.report import BenchResults, render
from benchmarks.results_json import render_json
from benchmarks.run import run_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results() -> BenchResults:
    return run_all(QUICK, progress=lambda line: None)


def test_client_makes_exactly_the_floor_of_calls_with_one_grant(results: BenchResults) -> None:
    for size in QUICK.sizes:
        for run in results.tag_removal.repeats("a", size):
            assert run.calls == math.ceil(size / 500)
            assert run.token_grants == 1
            assert run.failed == 0
            assert run.credits == results.tag_removal.run("c", size).credits
        assert len(results.tag_removal.bare_seconds[size]) == QUICK.repeats


def test_per_record_loop_costs_one_call_and_one_credit_per_record(results: BenchResults) -> None:
    real = results.tag_removal.run("b", min(QUICK.sizes))
    assert not real.extrapolated
    assert real.calls == real.size
    assert real.credits == real.size
    assert real.token_grants == 1
    extrapolated = results.tag_removal.run("b", max(QUICK.sizes))
    assert extrapolated.extrapolated
    assert extrapolated.sample == QUICK.loop_sample
    assert extrapolated.calls == extrapolated.size


def test_http_hook_makes_one_call_per_500_ids_in_order(results: BenchResults) -> None:
    for size in QUICK.sizes:
        run = results.tag_removal.run("c", size)
        assert run.calls == math.ceil(size / 500)
        assert run.max_concurrency_seen == 1
        assert run.token_grants == 1


def test_fanout_of_task_processes_shares_one_token_grant(results: BenchResults) -> None:
    client, handwritten = results.fanout.client, results.fanout.handwritten
    assert client.tasks == QUICK.fanout_tasks
    assert client.token_grants == 1
    assert client.failed_tasks == 0
    assert handwritten.token_grants == QUICK.fanout_tasks


def test_operator_module_defers_the_client_and_requests_until_execute(results: BenchResults) -> None:
    bigin = results.imports.costs["bigin"]
    assert bigin.heavy_loaded == ()
    assert "requests" in results.imports.costs["http"].heavy_loaded


def test_memory_run_settles_every_record_in_full_calls(results: BenchResults) -> None:
    memory = results.memory.without_sink
    assert memory.results == memory.succeeded == QUICK.memory_ids
    assert memory.api_calls == memory.sandbox_calls == math.ceil(QUICK.memory_ids / 500)
    assert memory.peak_mib >= memory.before_mib >= memory.imported_mib > 0
    assert not memory.sink
    assert memory.lines is None


def test_memory_run_with_a_sink_writes_every_record_and_keeps_none(results: BenchResults) -> None:
    memory = results.memory.with_sink
    assert memory.sink
    assert memory.succeeded == memory.lines == QUICK.memory_ids
    assert memory.results == 0  # nothing failed, and a sink's run keeps only the failures
    assert memory.api_calls == memory.sandbox_calls == math.ceil(QUICK.memory_ids / 500)


def test_client_alone_ran_at_every_operator_size_with_and_without_a_sink(results: BenchResults) -> None:
    operators = results.operators
    for size in {*QUICK.operator_sizes, QUICK.memory_ids}:
        assert operators.client(size, sink=False).results == size
        assert operators.client(size, sink=True).lines == size


def _operator_runs(results: BenchResults) -> list[OperatorRun]:
    return list(results.operators.runs)


def test_every_variant_ran_at_every_size_in_both_modes(results: BenchResults) -> None:
    operators = results.operators
    for mode in (DAG_TEST, DEPLOYMENT):
        for size in QUICK.operator_sizes:
            for variant in VARIANTS:
                repeats = operators.repeats(mode, variant, size)
                wanted = (
                    QUICK.defaults_runs
                    if (mode, variant, size) == (DEPLOYMENT, "auto", QUICK.defaults_size)
                    else 1
                )
                assert len(repeats) == wanted, (mode, variant, size)
    assert operators.leftover_pids == ()


def test_every_operator_run_succeeds_with_its_consumer_in_the_floor_of_calls(results: BenchResults) -> None:
    for run in _operator_runs(results):
        assert (run.state, run.consumer_state, run.error) == ("success", "success", ""), run
        assert run.api_calls == math.ceil(run.size / 500), run
        assert run.summary is not None
        assert (run.summary["requested"], run.summary["succeeded"]) == (run.size, run.size)
        assert run.ids_xcom_bytes > 0  # the upstream task's ids went through XCom
        assert run.execute_seconds is not None
        assert run.push_seconds is not None
        assert run.pull_seconds is not None
        assert run.runner_mib


def test_return_value_row_and_records_follow_each_choice(results: BenchResults) -> None:
    for run in _operator_runs(results):
        assert run.summary is not None
        returned = run.xcom_bytes.get("return_value")
        assert "summary" in run.xcom_bytes
        if run.variant == "none":
            assert returned is None, run  # no row at all
            assert run.records_returned is None
            assert run.summary["records_returned"] == 0
            continue
        assert returned is not None, run
        expected = {
            "all": run.size,
            "failed": 0,
            "auto": run.size if run.size <= AUTO_ALL_UP_TO else 0,
            "results_path": run.size if run.size <= AUTO_ALL_UP_TO else 0,
        }[run.variant]
        assert run.records_returned == run.summary["records_returned"] == expected, run
        if run.xcom_backend == OBJECT_STORAGE_BACKEND:
            assert run.variant == "all"
            assert returned < 1024  # a reference to the object store, not the records
        elif expected == 0:
            assert returned == len("[]")


def test_results_path_writes_one_line_per_record(results: BenchResults) -> None:
    for run in _operator_runs(results):
        assert run.summary is not None
        if run.variant == "results_path":
            assert run.results_lines == run.summary["results_lines"] == run.size
            assert str(run.summary["results_path"]).endswith(".jsonl")
        else:
            assert run.results_lines is None
            assert run.summary["results_path"] is None


def test_all_runs_on_object_storage_from_its_threshold(results: BenchResults) -> None:
    for run in _operator_runs(results):
        on_object_storage = run.variant == "all" and run.size >= QUICK.object_storage_all_from
        assert run.xcom_backend == (OBJECT_STORAGE_BACKEND if on_object_storage else DEFAULT_BACKEND)


def test_deployment_runs_report_every_process_peak(results: BenchResults) -> None:
    for run in _operator_runs(results):
        if run.mode == DEPLOYMENT:
            assert run.runner_mib, run
            assert run.supervisor_mib, run
            assert run.api_server_mib, run
            assert run.upstream_api_server_mib, run
        else:  # one process under dag.test()
            assert run.supervisor_mib is None
            assert run.api_server_mib is None


def test_zoho_profile_makes_the_floor_of_calls_with_one_grant(results: BenchResults) -> None:
    zoho = results.zoho
    assert zoho.conditions.latency_ms == QUICK.zoho_latency_ms
    for run in zoho.repeats("a", QUICK.zoho_size):
        assert run.calls == math.ceil(QUICK.zoho_size / 500)
        assert run.token_grants == 1
        assert run.failed == 0
    assert len(zoho.bare_seconds[QUICK.zoho_size]) == QUICK.repeats


def test_tasks_sharing_the_orgs_cap_report_every_record_right(results: BenchResults) -> None:
    """Every outcome agrees with the sandbox in each mode; the adaptive tasks meet no more 429s than fixed."""
    shared = results.shared_cap
    ids = QUICK.shared_cap_tasks * QUICK.shared_cap_ids_per_task
    for run in shared.runs():
        assert run.records == ids
        assert run.wrong == 0
        assert run.api_calls >= math.ceil(QUICK.shared_cap_ids_per_task / 500) * QUICK.shared_cap_tasks
        assert run.api_calls - run.rejected >= math.ceil(ids / 500)  # every id was carried by a call
    calls_per_task = math.ceil(QUICK.shared_cap_ids_per_task / 500)
    asked = QUICK.shared_cap_tasks * min(4, calls_per_task)
    assert (shared.fixed.asked, shared.adaptive.asked, shared.alone.asked) == (asked, asked, 10)
    assert shared.alone.rejected == 0  # one client at the cap never meets it
    assert shared.adaptive.failed == 0  # (which mode meets more 429s at toy sizes is up to the scheduler)


def test_report_shows_every_scenario_and_target(results: BenchResults) -> None:
    text = render(results)
    for heading in (
        "## Targets",
        "## 1. Removing tags from N records",
        "## 2. Fan-out",
        "## 3. DAG-parse cost",
        "## 4. Memory",
        "## 5. The operator in Airflow",
        "## 6. A Zoho-like profile",
        "## 7. One org's cap, shared",
    ):
        assert heading in text
    assert "(extrapolated from 40)" in text
    assert len(results.targets) == 14
    assert all(check.why for check in results.targets if not check.met)


def test_results_json_holds_the_figures_the_tables_are_rendered_from(results: BenchResults) -> None:
    figures = json.loads(render_json(results))
    assert figures["conditions"]["name"] == "quick"
    ways = {(row["way"], row["size"]): row for row in figures["tag_removal"]}
    for size in QUICK.sizes:
        assert ways[("a", size)]["calls"] == results.tag_removal.run("a", size).calls == math.ceil(size / 500)
    assert [row["token_grants"] for row in figures["fanout"]] == [1, QUICK.fanout_tasks]
    assert {(row["size"], row["sink"]) for row in figures["client_alone"]} == {
        (client.ids, client.sink) for client in results.operators.clients
    }
    assert {(row["mode"], row["variant"], row["size"]) for row in figures["operator"]} == {
        (run.mode, run.variant, run.size) for run in results.operators.runs
    }
    assert len(figures["targets"]) == len(results.targets)
