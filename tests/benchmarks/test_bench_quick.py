"""The benchmark's quick form, run for real so that the benchmark code cannot rot.

Asserts the counts the benchmark exists to show (calls, grants, credits, results), never a time: the
machine is shared and noisy.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.conditions import QUICK
from benchmarks.report import BenchResults, render
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
    memory = results.memory
    assert memory.results == memory.succeeded == QUICK.memory_ids
    assert memory.api_calls == memory.sandbox_calls == math.ceil(QUICK.memory_ids / 500)
    assert memory.peak_mib >= memory.before_mib >= memory.imported_mib > 0


def test_report_shows_every_scenario_and_target(results: BenchResults) -> None:
    text = render(results)
    for heading in (
        "## Targets",
        "## 1. Removing tags from N records",
        "## 2. Fan-out",
        "## 3. DAG-parse cost",
        "## 4. Memory",
    ):
        assert heading in text
    assert "(extrapolated from 40)" in text
    assert len(results.targets) == 5
    assert all(check.why for check in results.targets if not check.met)
