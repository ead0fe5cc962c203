"""The slice of Airflow's public REST API v2 that the deployment tests drive: DAGs, runs, tasks, XComs.

A JWT comes from the simple auth manager's ``/auth/token`` (all-admins mode: no credentials needed) and goes
in the ``Authorization`` header, as any API client would send it. Every wait is bounded and re-checks that
the deployment's processes are still alive, so a crashed scheduler fails the test at once, not at the timeout.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests

TERMINAL_RUN_STATES = frozenset({"success", "failed"})
_POLL_SECONDS = 1.0
_REQUEST_TIMEOUT = 30.0
_PAGE = 100  # [api] maximum_page_limit's default


class AirflowRestClient:
    """Calls ``{url}/api/v2``; ``on_wait`` runs between polls (the deployment's liveness check)."""

    def __init__(self, url: str, *, on_wait: Callable[[], None] = lambda: None) -> None:
        self.url = url
        self._on_wait = on_wait
        self._session = requests.Session()
        self._session.trust_env = False  # loopback only, whatever proxies the environment names
        reply = self._session.get(f"{url}/auth/token", timeout=_REQUEST_TIMEOUT)
        reply.raise_for_status()
        self._session.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self._session.request(method, f"{self.url}/api/v2{path}", timeout=_REQUEST_TIMEOUT, **kwargs)
        if reply.status_code >= 400:
            raise AssertionError(f"{method} /api/v2{path} -> {reply.status_code}: {reply.text[:2000]}")
        return reply.json() if reply.content else None

    # DAGs and runs ------------------------------------------------------------------------------------------

    def wait_for_dag(self, dag_id: str, timeout: float) -> dict[str, Any]:
        """The DAG once the DAG processor has parsed and serialised it; fails early on an import error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._on_wait()
            reply = self._session.get(f"{self.url}/api/v2/dags/{_q(dag_id)}", timeout=_REQUEST_TIMEOUT)
            if reply.status_code == 200:
                dag: dict[str, Any] = reply.json()
                return dag
            errors = self.request("GET", "/importErrors")["import_errors"]
            if errors:
                raise AssertionError(f"DAG files failed to import: {errors}")
            time.sleep(_POLL_SECONDS)
        raise AssertionError(f"the DAG processor did not register {dag_id!r} within {timeout:.0f}s")

    def trigger_dag(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run = self.request(
            "POST", f"/dags/{_q(dag_id)}/dagRuns", json={"logical_date": None, "conf": conf or {}}
        )
        return str(run["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        run: dict[str, Any] = self.request("GET", f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}")
        return run

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        """The run's final state; an AssertionError listing task states when it is not final in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._on_wait()
            state = str(self.dag_run(dag_id, run_id)["state"])
            if state in TERMINAL_RUN_STATES:
                return state
            time.sleep(_POLL_SECONDS)
        states = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in self.task_instances(dag_id, run_id)}
        raise AssertionError(f"run {run_id} of {dag_id} not finished within {timeout:.0f}s; tasks: {states}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run, mapped ones included (one per map index)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.request(
                "GET",
                f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances",
                params={"limit": _PAGE, "offset": len(found)},
            )
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        entry = self.request(
            "GET",
            f"/dags/{_q(dag_id)}/dagRuns/{_q(run_id)}/taskInstances/{_q(task_id)}/xcomEntries/{_q(key)}",
            params={"map_index": map_index},
        )
        return entry["value"]

    # Connections ------------------------------------------------------------------------------------------

    def connection(self, conn_id: str) -> dict[str, Any]:
        conn: dict[str, Any] = self.request("GET", f"/connections/{_q(conn_id)}")
        return conn


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")
