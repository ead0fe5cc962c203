"""Where the operator benchmarks run: one sandbox, the DAG files, and the folders their runs write to.

Both ways of running the operator (dag.test() and a deployment) use one `OperatorSetting`, so they see the
same records, DAGs and connection. Before each run the records it will touch get their tags back and the
sandbox's counters go to zero, so each run's calls are its own; the sandbox is not reset, which would
revoke the access token the tasks share and wipe the records.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.conditions import BenchConditions
from benchmarks.operator_dag import GO_SUFFIX
from benchmarks.seeding import add_bench_records

DEFAULT_BACKEND = "default"
OBJECT_STORAGE_BACKEND = "object storage"
_OBJECT_STORAGE_CLASS = "airflow.providers.common.io.xcom.backend.XComObjectStorageBackend"
# XComs from this size on go to the object store (common-io's threshold, in bytes); smaller stay in the table.
OBJECT_STORAGE_THRESHOLD = 64 * 1024


@dataclass(frozen=True)
class OperatorSetting:
    conditions: BenchConditions
    sandbox: Sandbox
    root: Path  # a temporary folder holding all of the below

    @property
    def dags(self) -> Path:
        return self.root / "dags"

    @property
    def timings(self) -> Path:
        return self.root / "timings"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def token_cache(self) -> Path:
        return self.root / "token-cache"

    def make_folders(self) -> None:
        for folder in (self.dags, self.timings, self.results, self.token_cache):
            folder.mkdir(parents=True, exist_ok=True)

    def connection_env(self) -> dict[str, str]:
        """The sandbox as bigin_default, at the run's concurrency (the connection's extra)."""
        env = self.sandbox.connection_env(max_concurrency=self.conditions.max_concurrency)
        return {**env, "BIGIN_TOKEN_CACHE_DIR": str(self.token_cache)}

    def xcom_backend_env(self, backend: str) -> dict[str, str]:
        """Airflow's settings for an XCom backend: none for the default (the metadata database)."""
        if backend == DEFAULT_BACKEND:
            return {}
        store = self.root / "xcom-store"
        store.mkdir(parents=True, exist_ok=True)
        return {
            "AIRFLOW__CORE__XCOM_BACKEND": _OBJECT_STORAGE_CLASS,
            "AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_PATH": store.as_uri(),
            "AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_THRESHOLD": str(OBJECT_STORAGE_THRESHOLD),
        }

    def child_env(self, home: Path, backend: str = DEFAULT_BACKEND) -> dict[str, str]:
        """This process's environment for an Airflow child with its own home, minus Airflow settings."""
        base = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW_", "AIRFLOW__", "PYTEST_"))
        }
        return {
            **base,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            **self.connection_env(),
            **self.xcom_backend_env(backend),
        }

    def prepare_run(self, size: int) -> None:
        """The first `size` records carry the tags again; the counters start at zero."""
        conditions = self.conditions
        add_bench_records(self.sandbox, conditions.module, size, conditions.tags)
        self.sandbox.reset_stats()

    def start_run(self, label: str, size: int) -> None:
        """Prepare the sandbox, then let the run's upstream task (waiting for its go file) begin."""
        self.prepare_run(size)
        (self.timings / f"{label}{GO_SUFFIX}").touch()

    def remove_calls(self) -> int:
        return int(self.sandbox.stats()["calls"].get("remove_tags", 0))

    def label(self, mode: str, backend: str, variant: str, size: int, repeat: int = 0) -> str:
        """A file-name-safe name for one run: its timings and results files are named after it."""
        return re.sub(r"[^A-Za-z0-9]+", "-", f"{mode} {backend} {variant} {size} {repeat}").strip("-")
