"""Fixtures for the tests that run Airflow as a real deployment (scheduler, API server, DAG processor)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_bigin.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    """The markers of this folder (also wanted in pyproject's list, where --strict-markers looks first)."""
    config.addinivalue_line("markers", "integration: runs a real Airflow deployment (make integration)")
    config.addinivalue_line("markers", "ui: drives Airflow's UI in headless Chromium (make ui-check)")


@pytest.fixture
def process_sandbox() -> Iterator[Sandbox]:
    """A sandbox in a process of its own, as an external service would be: this test owns and stops it."""
    with Sandbox(process=True) as sandbox:
        yield sandbox


@pytest.fixture
def deployment_dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(AIRFLOW_HOME, DAGs folder, token lock directory) for one deployment, all fresh: a cold start."""
    home, dags, token_dir = tmp_path / "airflow-home", tmp_path / "dags", tmp_path / "bigin-token-cache"
    for path in (home, dags, token_dir):
        path.mkdir()
    return home, dags, token_dir
