"""Celery workers that behave as separate hosts, as extra components of an ``AirflowDeployment``.

Each worker gets what a host of its own would have and the provider's token sharing could lean on: its own
HOME (so ``~/.cache`` differs too), its own ``BIGIN_TOKEN_CACHE_DIR`` (the file lock that serialises token
refreshes on one host), its own Celery node name and host name (``hostname.py``), its own log server port, PID
file and temporary directory, and its own session (``SessionProcess``). What they share is what hosts share:
the metadata database, the broker, the API server and the sandbox, all over TCP on 127.0.0.1.

Not a network namespace each: inside one, 127.0.0.1 is the namespace's own loopback, so reaching the API
server, Redis, PostgreSQL and the sandbox would need a veth pair per worker with addresses outside loopback
and every server bound to them. That buys nothing for what is tested (hosts that share no file and no
process), and keeps the whole test on loopback.
"""

from __future__ import annotations

from pathlib import Path

from tests.deployment.airflow_deployment import ExtraComponent, free_port
from tests.distributed.hostname import HOSTNAME_VARIABLE

#: What Celery logs once a worker consumes tasks ("celery@host ready.").
READY_TEXT = " ready."
REPO_ROOT = Path(__file__).resolve().parents[2]


def host_name(index: int) -> str:
    return f"bigin-host-{index}"


def token_cache_dir(root: Path, index: int) -> Path:
    """The worker's BIGIN_TOKEN_CACHE_DIR (made by the provider, private to the worker's "host")."""
    return root / host_name(index) / "token-cache"


def celery_worker(root: Path, index: int, *, concurrency: int) -> ExtraComponent:
    """Worker ``index``, its host's files under ``root/bigin-host-<index>``."""
    host = root / host_name(index)
    home, tmp = host / "home", host / "tmp"
    for path in (home, tmp):
        path.mkdir(parents=True, exist_ok=True)
    return ExtraComponent(
        name=f"celery-worker-{index}",
        args=(
            "celery",
            "worker",
            "--celery-hostname",
            f"worker{index}@{host_name(index)}",
            "--concurrency",
            str(concurrency),
            "--pid",
            str(host / "worker.pid"),
            "--without-mingle",
            "--without-gossip",
        ),
        env={
            "HOME": str(home),
            "TMPDIR": str(tmp),
            "BIGIN_TOKEN_CACHE_DIR": str(token_cache_dir(root, index)),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            HOSTNAME_VARIABLE: host_name(index),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.distributed.hostname.worker_hostname",
            # So that the task processes can import the host-name callable above.
            "PYTHONPATH": str(REPO_ROOT),
        },
        ready_text=READY_TEXT,
    )
