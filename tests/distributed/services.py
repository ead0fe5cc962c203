"""PostgreSQL and Redis for one test, on 127.0.0.1, in temporary directories, stopped whatever happens.

``PostgresServer`` makes a throw-away cluster (initdb) and runs ``postgres`` on a free port with its unix
socket in the same temporary directory; run as root, both run as the ``postgres`` OS user (through
``setpriv``, which execs, so the server itself leads the session that ``SessionProcess`` stops), since
PostgreSQL refuses to run as root. ``RedisServer`` runs ``redis-server`` with no persistence. Both are context
managers; every wait is bounded. ``scripts/ensure-postgres.sh`` and ``scripts/ensure-redis.sh`` install the
servers when they are missing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from tests.deployment.airflow_deployment import free_port
from tests.deployment.process_session import SessionProcess

_POLL_SECONDS = 0.2
#: The OS user PostgreSQL runs as when the tests run as root (Debian's package creates it).
POSTGRES_USER = "postgres"


class ServiceError(RuntimeError):
    """A server is missing, did not start, or died; the message says which and carries its log's tail."""


def postgres_bin_dir() -> Path:
    """Where ``initdb`` and ``postgres`` are: on PATH, else Debian's /usr/lib/postgresql/<major>/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").is_file() and re.fullmatch(r"\d+", path.parent.name)
    ]
    if not candidates:
        raise ServiceError("PostgreSQL's initdb was not found: run scripts/ensure-postgres.sh")
    return max(candidates, key=lambda path: int(path.parent.name))


def _as_postgres_user() -> list[str]:
    """The prefix that runs a command as the postgres user when we are root; nothing otherwise."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        raise ServiceError(
            f"running as root, PostgreSQL needs the {POSTGRES_USER!r} OS user: run scripts/ensure-postgres.sh"
        ) from None
    return ["setpriv", f"--reuid={POSTGRES_USER}", f"--regid={POSTGRES_USER}", "--init-groups", "--"]


def _wait_until(ready: Callable[[], bool], what: str, process: SessionProcess, timeout: float) -> None:
    """Poll ``ready()`` until true; fail when ``process`` exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.exit_code()
        if code is not None:
            raise ServiceError(f"{what} exited with code {code}:\n{process.log_tail()}")
        if ready():
            return
        time.sleep(_POLL_SECONDS)
    raise ServiceError(f"{what} was not ready after {timeout:.0f}s:\n{process.log_tail()}")


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1 with one database; a context manager.

    :param log_path: where the server's output goes.
    :param database: the database created for the caller.
    :param max_connections: Airflow's components, its Celery workers and their result backend each keep
        a pool, so more than the default hundred.
    """

    def __init__(
        self,
        log_path: Path,
        *,
        database: str = "airflow",
        max_connections: int = 300,
        startup_timeout: float = 60.0,
        stop_grace: float = 10.0,
    ) -> None:
        self.log_path = log_path
        self.database = database
        self.max_connections = max_connections
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.port = free_port()
        self.bin_dir = postgres_bin_dir()
        self.root: Path | None = None
        self.process: SessionProcess | None = None

    def __repr__(self) -> str:
        return f"PostgresServer(port={self.port}, database={self.database!r})"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database (trust authentication on loopback: no password)."""
        return f"postgresql+psycopg2://{POSTGRES_USER}@127.0.0.1:{self.port}/{self.database}"

    @property
    def celery_result_backend(self) -> str:
        """The same database as Celery's database result backend names it (the driver named: psycopg2)."""
        return f"db+postgresql+psycopg2://{POSTGRES_USER}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, program: str, *args: str, timeout: float) -> None:
        assert self.root is not None
        command = [*_as_postgres_user(), str(self.bin_dir / program), *args]
        done = subprocess.run(  # the argv is the harness's own, never input
            command,
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(self.root)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ServiceError(f"{program} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start(self) -> PostgresServer:
        # Not under pytest's tmp_path: its parents are closed to other users, and the server is one.
        self.root = Path(tempfile.mkdtemp(prefix="bigin-postgres-"))
        try:
            if os.geteuid() == 0:
                user = pwd.getpwnam(POSTGRES_USER)
                os.chown(self.root, user.pw_uid, user.pw_gid)
            data = self.root / "data"
            self._run(
                "initdb",
                "-D",
                str(data),
                "-U",
                POSTGRES_USER,
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
                "-E",
                "UTF8",
                "--locale=C",
                timeout=self.startup_timeout,
            )
            self.process = SessionProcess(
                "postgres",
                [
                    *_as_postgres_user(),
                    str(self.bin_dir / "postgres"),
                    "-D", str(data),
                    "-p", str(self.port),
                    "-c", "listen_addresses=127.0.0.1",
                    "-c", f"unix_socket_directories={self.root}",
                    "-c", f"max_connections={self.max_connections}",
                    # A throw-away cluster: durability buys nothing here, and the disk is shared.
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                ],
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
                log_path=self.log_path,
            )  # fmt: skip
            _wait_until(self._accepts, "PostgreSQL", self.process, self.startup_timeout)
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", POSTGRES_USER,
                      self.database, timeout=self.startup_timeout)  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return self

    def _accepts(self) -> bool:
        done = subprocess.run(  # the argv is the harness's own, never input
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        return done.returncode == 0

    def stop(self) -> None:
        """A fast shutdown (SIGINT: clients cut off, no waiting for them), then the session's stop."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGINT)
            deadline = time.monotonic() + self.stop_grace
            while self.process.exit_code() is None and time.monotonic() < deadline:
                time.sleep(_POLL_SECONDS)
            self.process.stop(self.stop_grace)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def leftover_pids(self) -> list[int]:
        return self.process.members() if self.process is not None else []

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, nothing written to disk; a context manager."""

    def __init__(self, log_path: Path, *, startup_timeout: float = 30.0, stop_grace: float = 10.0) -> None:
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.port = free_port()
        self.process: SessionProcess | None = None

    def __repr__(self) -> str:
        return f"RedisServer(port={self.port})"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        program = shutil.which("redis-server")
        if program is None:
            raise ServiceError("redis-server was not found: run scripts/ensure-redis.sh")
        self.process = SessionProcess(
            "redis",
            [
                program,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--protected-mode", "yes",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.log_path.parent),
            ],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            log_path=self.log_path,
        )  # fmt: skip
        try:
            _wait_until(self._pongs, "Redis", self.process, self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _pongs(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(self.stop_grace)

    def leftover_pids(self) -> list[int]:
        return self.process.members() if self.process is not None else []

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
