"""The system tests: DAG files collected as tests, skipped without a live account, reports printed at the end.

``make system-test`` runs them; in ``make test`` they are collected and skipped, the reason saying which
variables to set (tests/system/system_tests.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.system_tests import REPORTS, missing_variables, skip_reason

HERE = Path(__file__).resolve().parent


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Airflow names its system-test DAG files ``example_*.py``; each one's ``test_run`` is the test."""
    if file_path.suffix == ".py" and file_path.name.startswith("example_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = missing_variables()
    if not missing:
        return
    skip = pytest.mark.skip(reason=skip_reason(missing))
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _metadata_database(airflow_db: Path) -> None:
    """dag.test() records the run in Airflow's metadata database, migrated once per session."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for report in REPORTS:
        terminalreporter.write_sep("=", "Bigin system test: what Zoho answered")
        terminalreporter.write_line(report)
