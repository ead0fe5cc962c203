"""Fixtures of the distributed deployment: PostgreSQL, Redis, the sandbox and Airflow with Celery workers."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """This folder's marker (also in pyproject's list, where --strict-markers looks first)."""
    config.addinivalue_line(
        "markers",
        "distributed: CeleryExecutor on PostgreSQL and Redis, 2+ workers (make integration-distributed)",
    )
