"""Fixtures for the hook tests: connections from AIRFLOW_CONN_* variables, and clean token caches."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

UseConnection = Callable[..., dict[str, Any]]


@pytest.fixture
def use_connection(monkeypatch: pytest.MonkeyPatch) -> UseConnection:
    """Define a connection the way deployments do, as an AIRFLOW_CONN_<ID> JSON variable."""

    def define(conn: dict[str, Any], conn_id: str = "bigin_default") -> dict[str, Any]:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn

    return define


@pytest.fixture
def sandbox_conn(bigin_sandbox: Any, use_connection: UseConnection) -> dict[str, Any]:
    """bigin_default pointing at the sandbox; tokens cached in this test's own file store."""
    return use_connection(bigin_sandbox.connection(cache_backend="file"))


def offline_conn(**extra: Any) -> dict[str, Any]:
    """A connection that is never used to call anything: for parsing tests."""
    return {
        "conn_type": "bigin",
        "login": "1000.CLIENTIDFORTESTS",
        "password": "client-secret-for-tests-0123456789",
        "extra": {"refresh_token": "1000.refresh.token.for.tests.abcdef", **extra},
    }
