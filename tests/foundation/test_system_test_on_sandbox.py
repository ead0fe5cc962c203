"""The live-account system test (tests/system), run as ``make system-test`` runs it, against the sandbox.

The very DAG file and its ``test_run``, with the environment pointing AIRFLOW_CONN_BIGIN_SYSTEM_TEST and the
record variables at a sandbox record: so the system test cannot rot unseen while no live account runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from tests.system import system_tests
from tests.system.bigin import example_bigin_tag_round_trip as round_trip


@pytest.fixture
def record(bigin_sandbox: Sandbox, airflow_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A sandbox contact with one tag of its own, named by the system test's variables."""
    (record_id,) = bigin_sandbox.add_records("Contacts", [{"Last_Name": "System", "Tag": ["Keep"]}])
    env = {
        # Tokens in this test's own file store: a Variable (or the process's memory store) kept from an
        # earlier test would hold a token of a sandbox since reset.
        **bigin_sandbox.connection_env(system_tests.CONN_ID, cache_backend="file"),
        system_tests.RECORD_ID_VARIABLE: record_id,
        system_tests.MODULE_VARIABLE: "contacts",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reports = len(system_tests.REPORTS)
    yield record_id
    del system_tests.REPORTS[reports:]  # a sandbox run's report is not a live account's


def _report_lines(report: str, title: str) -> list[str]:
    """The indented lines under one step's title."""
    lines = report.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(title))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


def test_the_system_test_adds_its_tag_removes_it_and_reports_each_answer(
    bigin_sandbox: Sandbox, record: str, capsys: pytest.CaptureFixture[str]
) -> None:
    round_trip.test_run()

    report = system_tests.REPORTS[-1]
    assert report in capsys.readouterr().out  # printed, for pytest -s and a failure's output
    tag = report.splitlines()[0].split("'")[1]  # "Bigin system test: temporary tag 'airflow-...' on ..."
    assert len(tag) <= round_trip.MAX_TAG_NAME
    assert bigin_sandbox.tags("Contacts", record) == ["Keep"]  # gone again, the record's own tag kept
    calls = bigin_sandbox.stats()["calls"]
    assert calls["add_tags_one"] == 1
    assert calls["remove_tags_one"] == 3  # removed, removed once more while absent, and the teardown

    path = f"/bigin/v2/Contacts/{record}"
    assert (
        _report_lines(report, "1. add the tag")[0]
        == f"  POST {path}/actions/add_tags (JSON body) -> HTTP 200"
    )
    assert f"{path} -> HTTP 200; Tag field ['Keep', '{tag}'] (temporary tag present)" in report
    assert f"{path} -> HTTP 200; Tag field ['Keep'] (temporary tag absent)" in report
    for title in ("3. remove the tag", "5. remove the now-absent tag", "6. teardown"):
        step = _report_lines(report, title)
        assert step[0] == f"  POST {path}/actions/remove_tags (query tag_names={tag}) -> HTTP 200"
        assert step[1].startswith(f"  record {record}: status='success' code='SUCCESS' message=")
    assert "- Add Tags accepted the JSON body" in report
    assert "- details.tags of Add Tags: " in report
    assert "- details.tags of Remove Tags: " in report
    assert "- removing an absent tag: HTTP 200, status='success' code='SUCCESS' message=" in report
    assert "DAG run manual__" in report
    assert "  watcher: skipped" in report


def test_the_report_names_v1_s_query_parameters_when_bigin_refuses_the_json_body(
    bigin_sandbox: Sandbox, record: str
) -> None:
    bigin_sandbox.set_faults({"add_tags_v1_only": True})

    round_trip.test_run()

    report = system_tests.REPORTS[-1]
    path = f"/bigin/v2/Contacts/{record}/actions/add_tags"
    assert _report_lines(report, "1. add the tag")[:2] == [
        f"  POST {path} (JSON body) -> HTTP 400",
        f"  POST {path} (query parameters tag_names) -> HTTP 200",
    ]
    assert "- Add Tags accepted the query parameters of Bigin's v1 Add Tags (tag_names)" in report
    assert bigin_sandbox.tags("Contacts", record) == ["Keep"]


def test_a_failed_middle_step_fails_the_run_and_the_teardown_still_removes_the_tag(
    bigin_sandbox: Sandbox, record: str
) -> None:
    with system_tests.in_dags_folder(round_trip.dag):
        # remove_tag marked done without running: the read after it finds the tag still there and fails.
        dag_run = round_trip.dag.test(mark_success_pattern="remove_tag")

    states = system_tests.task_states(dag_run)
    assert str(dag_run.state) == "failed"
    assert states["read_after_remove"] == "failed"
    assert states["remove_absent_tag"] == "upstream_failed"
    assert (states["teardown_remove_tag"], states["report"], states["watcher"]) == (
        "success",
        "success",
        "failed",
    )
    assert bigin_sandbox.tags("Contacts", record) == ["Keep"]


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "AIRFLOW_CONN_BIGIN_SYSTEM_TEST and BIGIN_SYSTEM_TEST_RECORD_ID"),
        ({"AIRFLOW_CONN_BIGIN_SYSTEM_TEST": "bigin://x"}, "BIGIN_SYSTEM_TEST_RECORD_ID"),
        ({"BIGIN_SYSTEM_TEST_RECORD_ID": " 1 "}, "AIRFLOW_CONN_BIGIN_SYSTEM_TEST"),
    ],
)
def test_without_a_live_account_the_skip_reason_names_the_variables_to_set(
    environ: dict[str, str], named: str
) -> None:
    missing = system_tests.missing_variables(environ)
    assert system_tests.skip_reason(missing).startswith(f"no live Bigin account: set {named} to run")
    assert system_tests.record_module(environ) == "Contacts"
