"""A real Airflow 3 deployment on this machine, started and stopped by a test.

``AirflowDeployment`` migrates the metadata database (SQLite in a temporary AIRFLOW_HOME unless given a
``database_url``), then runs the components a production install runs (API server, scheduler, DAG processor)
as separate processes, each the leader of its own session so that stopping reaches every task process they
forked. The scheduler's executor is the LocalExecutor unless told otherwise; ``extra_components`` adds more
``airflow`` processes, such as Celery workers, each with an environment of its own. Task processes talk to
Airflow only through the Task SDK and the API server's execution API, exactly as a Celery or Kubernetes worker
would. Every wait is bounded; every process is stopped on exit, whatever happened.

.. code-block:: python

    with AirflowDeployment(home, dags_folder, env=sb.connection_env()) as airflow:
        run_id = airflow.api.trigger_dag("my_dag")
        assert airflow.api.wait_for_run("my_dag", run_id, timeout=180) == "success"
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from tests.deployment.airflow_rest import AirflowRestClient
from tests.deployment.process_session import SessionProcess

COMPONENTS = ("api-server", "scheduler", "dag-processor")
#: The component name in ``/api/v2/monitor/health`` for those that report a heartbeat there.
_HEALTH_KEYS = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}
_POLL_SECONDS = 0.5


class DeploymentError(RuntimeError):
    """A component did not start, or died; the message carries the tail of its log."""


@dataclass(frozen=True)
class ExtraComponent:
    """One more ``airflow`` process of the deployment, such as a Celery worker.

    :param name: its name in ``processes`` and its log's (``<home>/component-logs/<name>.log``).
    :param args: the arguments after ``airflow`` (``("celery", "worker", ...)``).
    :param env: environment of this process only, over the deployment's.
    :param ready_text: text its log shows once it serves (Celery's "ready."); None when starting is enough.
    """

    name: str
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_text: str | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_executable() -> str:
    """The ``airflow`` script of the interpreter running the tests, so both use one installation."""
    return str(Path(sys.executable).with_name("airflow"))


class AirflowDeployment:
    """Airflow's components as real processes on a private AIRFLOW_HOME; a context manager.

    :param home: the AIRFLOW_HOME (created if missing); the SQLite database, logs and each component's
        output (``<home>/component-logs/<name>.log``) live there.
    :param dags_folder: the DAGs folder the DAG processor parses.
    :param components: which of ``api-server``, ``scheduler``, ``dag-processor``, ``triggerer`` to run.
    :param env: more environment for every component (connections as ``AIRFLOW_CONN_*``, config as
        ``AIRFLOW__SECTION__KEY``); it wins over the defaults set here.
    :param parallelism: ``[core] parallelism``: how many task instances the executor runs at once.
    :param executor: ``[core] executor``; a CeleryExecutor needs workers among ``extra_components``.
    :param database_url: ``[database] sql_alchemy_conn`` (a PostgreSQL URL, say); None for SQLite in the home.
    :param extra_components: more processes, started once the others run, stopped right after the scheduler.
    :param pools: Airflow pools to create, name -> slots, before the scheduler starts.
    :param startup_timeout: seconds to wait for every component to report healthy.
    :param stop_grace: seconds between SIGTERM and SIGKILL when stopping.
    """

    def __init__(
        self,
        home: Path,
        dags_folder: Path,
        *,
        components: Iterable[str] = COMPONENTS,
        env: Mapping[str, str] | None = None,
        parallelism: int = 8,
        executor: str = "LocalExecutor",
        database_url: str | None = None,
        pools: Mapping[str, int] | None = None,
        extra_components: Iterable[ExtraComponent] = (),
        startup_timeout: float = 180.0,
        stop_grace: float = 15.0,
    ) -> None:
        self.components = tuple(components)
        self.extra_components = tuple(extra_components)
        names = [*self.components, *(extra.name for extra in self.extra_components)]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must differ: {names}")
        unknown = set(self.components) - {*COMPONENTS, "triggerer"}
        if unknown:
            raise ValueError(
                f"unknown Airflow components {sorted(unknown)}; known: {[*COMPONENTS, 'triggerer']}"
            )
        if "api-server" not in self.components:
            raise ValueError("the deployment needs the api-server: tasks and the test both talk to it")
        self.home = home
        self.dags_folder = dags_folder
        self.parallelism = parallelism
        self.executor = executor
        self.database_url = database_url
        self.pools = dict(pools or {})
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = self._environment(env or {})
        self.processes: dict[str, SessionProcess] = {}
        self.killed: dict[str, list[int]] = {}
        self._api: AirflowRestClient | None = None

    def __repr__(self) -> str:
        return f"AirflowDeployment(url={self.url!r}, components={self.components!r})"

    def _environment(self, extra: Mapping[str, str]) -> dict[str, str]:
        """The parent's environment minus its Airflow settings, plus this deployment's, plus ``extra``."""
        base = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW_", "AIRFLOW__", "PYTEST_")) and name != "AIRFLOW_HOME"
        }
        deployment = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            # Task processes reach Airflow only here, through the Task SDK.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            # The scheduler's log server would take port 8793 on every interface.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            # Parse new DAG files within seconds, not the default five minutes.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        if self.database_url is not None:
            deployment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = self.database_url
        return {**base, **deployment, **extra}

    # Life cycle -------------------------------------------------------------------------------------------

    def start(self) -> AirflowDeployment:
        self.home.mkdir(parents=True, exist_ok=True)
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        try:
            self._migrate()
            for name in sorted(self.components, key=lambda name: name != "api-server"):
                argv = [airflow_executable(), name]
                if name == "api-server":
                    argv += ["--host", "127.0.0.1", "--port", str(self.port)]
                self.processes[name] = SessionProcess(
                    name, argv, env=self.env, log_path=self.home / "component-logs" / f"{name}.log"
                )
                if name == "api-server":
                    # Before the scheduler: a task it starts first cannot reach the Execution API and fails.
                    self._wait_healthy(api_only=True)
            for extra in self.extra_components:
                self.processes[extra.name] = SessionProcess(
                    extra.name,
                    [airflow_executable(), *extra.args],
                    env={**self.env, **extra.env},
                    log_path=self.home / "component-logs" / f"{extra.name}.log",
                )
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _migrate(self) -> None:
        self._run_cli("db-migrate", ["db", "migrate"])
        for name, slots in self.pools.items():  # before the scheduler: a task of a missing pool never runs
            self._run_cli(f"pool-{name}", ["pools", "set", name, str(slots), "created by the test"])

    def _run_cli(self, label: str, args: list[str]) -> None:
        """One `airflow` command to its end, bounded by the startup timeout."""
        command = SessionProcess(
            label,
            [airflow_executable(), *args],
            env=self.env,
            log_path=self.home / "component-logs" / f"{label}.log",
        )
        shown = " ".join(["airflow", *args[:2]])
        deadline = time.monotonic() + self.startup_timeout
        while command.exit_code() is None:
            if time.monotonic() > deadline:
                command.stop(self.stop_grace)
                raise DeploymentError(f"`{shown}` took over {self.startup_timeout:.0f}s")
            time.sleep(_POLL_SECONDS)
        if command.exit_code() != 0:
            raise DeploymentError(f"`{shown}` failed:\n{command.log_tail()}")

    def _wait_healthy(self, *, api_only: bool = False) -> None:
        """Until every component reports healthy; with `api_only`, until the API server answers at all."""
        deadline = time.monotonic() + self.startup_timeout
        waiting_for = "the API server"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
            except (requests.RequestException, ValueError):
                time.sleep(_POLL_SECONDS)
                continue
            if api_only:
                return
            unhealthy = [
                name
                for name in self.components
                if name in _HEALTH_KEYS and (health.get(_HEALTH_KEYS[name]) or {}).get("status") != "healthy"
            ]
            unhealthy += [
                extra.name
                for extra in self.extra_components
                if extra.ready_text is not None
                and extra.ready_text not in self.processes[extra.name].log_tail(lines=400)
            ]
            if not unhealthy:
                return
            waiting_for = ", ".join(unhealthy)
            time.sleep(_POLL_SECONDS)
        raise DeploymentError(
            f"Airflow was not healthy after {self.startup_timeout:.0f}s (waiting for {waiting_for}):\n"
            + self.logs_tail()
        )

    def check_alive(self) -> None:
        """Raise with the component's log when one of them has exited."""
        for name, process in self.processes.items():
            code = process.exit_code()
            if code is not None:
                raise DeploymentError(f"the {name} exited with code {code}:\n{process.log_tail()}")

    def stop(self) -> None:
        """Stop every component's whole session: SIGTERM, then SIGKILL after ``stop_grace`` seconds."""
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api = None
        # The scheduler first, so that it does not start new task processes while the others stop; then the
        # extra components (workers), whose tasks still talk to the API server.
        extras = {extra.name for extra in self.extra_components}
        order = sorted(self.processes, key=lambda name: (name != "scheduler", name not in extras))
        for name in order:
            self.killed[name] = self.processes[name].stop(self.stop_grace)

    def leftover_pids(self) -> list[int]:
        """Processes still alive in any component's session (none after ``stop``)."""
        return [pid for process in self.processes.values() for pid in process.members()]

    def logs_tail(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {name} ({process.log_path}) ---\n{process.log_tail(lines)}"
            for name, process in self.processes.items()
        )

    def __enter__(self) -> AirflowDeployment:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # Talking to it ----------------------------------------------------------------------------------------

    @property
    def api(self) -> AirflowRestClient:
        """A client of the public REST API v2 (JWT from ``/auth/token``)."""
        if self._api is None:
            self._api = AirflowRestClient(self.url, on_wait=self.check_alive)
        return self._api

    def task_log_files(self) -> list[Path]:
        """Every task log the deployment wrote (``<home>/logs/dag_id=.../...``)."""
        return sorted(path for path in (self.home / "logs").rglob("*") if path.is_file())

    def task_log_tail(self, dag_id: str, run_id: str, task_id: str, lines: int = 40) -> str:
        """The last lines of every log of one task in one run (all tries), to say why it failed."""
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        paths = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
        return "\n".join(
            f"--- {path.relative_to(self.home)} ---\n"
            + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in paths
        )

    @property
    def database(self) -> Path:
        """The SQLite metadata database (Airflow's default location under AIRFLOW_HOME)."""
        if self.database_url is not None:
            raise DeploymentError(f"this deployment's metadata database is not SQLite: {self.database_url}")
        return self.home / "airflow.db"

    def xcom_sizes(self, dag_id: str, run_id: str) -> dict[tuple[str, str, int], int]:
        """Bytes each XCom of a run takes in the metadata database, by (task_id, key, map_index).

        Read straight from the ``xcom`` table, read-only, so it counts what Airflow stored, whatever
        an XCom backend keeps elsewhere.
        """
        uri = f"{self.database.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
            rows = db.execute(
                "SELECT task_id, key, map_index, length(CAST(value AS BLOB)) FROM xcom "
                "WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            ).fetchall()
        return {(str(task), str(key), int(index)): int(size or 0) for task, key, index, size in rows}
