"""Airflow as a distributed install runs it: CeleryExecutor, PostgreSQL metadata database, Redis broker.

``CeleryDeployment`` starts PostgreSQL and Redis (``services.py``), then an ``AirflowDeployment`` whose
scheduler hands task instances to Celery through Redis, with Celery's results in PostgreSQL, and ``workers``
Celery workers that behave as separate hosts (``celery_workers.py``). Everything listens on 127.0.0.1 only;
stopping goes in the reverse order (scheduler, workers, the other Airflow components, Redis, PostgreSQL),
whatever happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from tests.deployment.airflow_deployment import AirflowDeployment
from tests.distributed.celery_workers import celery_worker
from tests.distributed.services import PostgresServer, RedisServer


class CeleryDeployment:
    """PostgreSQL, Redis and Airflow with Celery workers, under ``root``; a context manager.

    :param root: the AIRFLOW_HOME goes to ``root/airflow-home``, each worker's host to
        ``root/hosts/bigin-host-<n>``, the servers' logs to ``root/service-logs``.
    :param dags_folder: the DAGs folder.
    :param env: more environment for every Airflow process (connections, config).
    :param workers: how many Celery workers.
    :param worker_concurrency: task instances each worker runs at once.
    :param startup_timeout: seconds for Airflow's migration, then again for every component to be ready.
    :param stop_grace: seconds between SIGTERM and SIGKILL for each process group it stops.
    """

    def __init__(
        self,
        root: Path,
        dags_folder: Path,
        *,
        env: Mapping[str, str] | None = None,
        workers: int = 2,
        worker_concurrency: int = 6,
        startup_timeout: float = 120.0,
        stop_grace: float = 10.0,
    ) -> None:
        self.root = root
        self.hosts = root / "hosts"
        logs = root / "service-logs"
        self.postgres = PostgresServer(logs / "postgres.log", stop_grace=stop_grace)
        self.redis = RedisServer(logs / "redis.log", stop_grace=stop_grace)
        self.workers = workers
        self.airflow = AirflowDeployment(
            root / "airflow-home",
            dags_folder,
            executor="CeleryExecutor",
            database_url=self.postgres.url,
            env={
                "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
                "AIRFLOW__CELERY__RESULT_BACKEND": self.postgres.celery_result_backend,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
                **(env or {}),
            },
            parallelism=workers * worker_concurrency * 2,
            extra_components=[
                celery_worker(self.hosts, index, concurrency=worker_concurrency)
                for index in range(1, workers + 1)
            ],
            startup_timeout=startup_timeout,
            stop_grace=stop_grace,
        )

    def __repr__(self) -> str:
        return f"CeleryDeployment({self.airflow!r}, {self.postgres!r}, {self.redis!r})"

    def start(self) -> CeleryDeployment:
        try:
            self.postgres.start()
            self.redis.start()
            self.airflow.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Airflow first (it needs the servers to stop cleanly), then Redis, then PostgreSQL."""
        with contextlib.ExitStack() as stack:  # every stop runs, even when one before it raised
            stack.callback(self.postgres.stop)
            stack.callback(self.redis.stop)
            stack.callback(self.airflow.stop)

    def leftover_pids(self) -> list[int]:
        """Processes still alive in any session this deployment started (none after ``stop``)."""
        return [*self.airflow.leftover_pids(), *self.redis.leftover_pids(), *self.postgres.leftover_pids()]

    def logs_tail(self, lines: int = 30) -> str:
        return self.airflow.logs_tail(lines)

    def __enter__(self) -> CeleryDeployment:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
