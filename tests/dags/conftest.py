"""Fixtures for running the example DAGs against the sandbox and a warehouse mirror of its records."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import airflow_provider_bigin.example_dags
from airflow_provider_bigin.sandbox import Sandbox
from demo.warehouse import build_warehouse, warehouse_connection_env

REPO_ROOT = Path(__file__).resolve().parents[2]
# Where a user finds them too: the folder of the installed package, as its docstring says.
DAGS_DIR = Path(airflow_provider_bigin.example_dags.__path__[0])
MODULES = ("Contacts", "Pipelines", "Accounts", "Products", "Tasks", "Events", "Calls")

TagState = dict[tuple[str, str], frozenset[str]]


def tag_state(sandbox: Sandbox) -> TagState:
    """Every record's tags in every module, as the sandbox's CRM holds them."""
    return {
        (module, record_id): frozenset(tag["name"] for tag in record.get("Tag") or ())
        for module in MODULES
        for record_id, record in sandbox.records(module).items()
    }


def dag_source(name: str) -> str:
    return (DAGS_DIR / f"{name}.py").read_text()


@pytest.fixture
def warehouse(bigin_sandbox: Sandbox, tmp_path: Path) -> Path:
    """A fresh mirror of the sandbox's contacts and deals, in a SQLite file."""
    path = tmp_path / "warehouse.db"
    records = {module: list(bigin_sandbox.records(module).values()) for module in ("Contacts", "Pipelines")}
    build_warehouse(path, records)
    return path


@pytest.fixture
def warehouse_db(warehouse: Path) -> Iterator[sqlite3.Connection]:
    """An open connection to the mirror, for a test to read or damage it."""
    db = sqlite3.connect(warehouse)
    yield db
    db.close()


@pytest.fixture
def dag_env(bigin_sandbox: Sandbox, warehouse: Path) -> dict[str, str]:
    """Both connections the example DAGs use, as AIRFLOW_CONN_* variables."""
    return {**bigin_sandbox.connection_env(), **warehouse_connection_env(warehouse)}
