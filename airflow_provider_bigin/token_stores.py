"""Where access tokens live between processes: process memory, a file on this host, or an Airflow Variable.

A store keeps JSON text under a key and gives one caller at a time its turn to refresh (`refresh_turn`), so
that processes starting together make one grant between them instead of one each. Keys are hashes: they never
contain a client id or refresh token, and they contain "token" so that Airflow masks a Variable's value.
"""

from __future__ import annotations

import contextlib
import fcntl  # POSIX only, as Airflow workers are
import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from airflow_provider_bigin.errors import ConnectionConfigError

log = logging.getLogger(__name__)

# Seconds a waiting process sleeps between looks at the store while another one refreshes.
FILE_POLL_SECONDS = 0.05
VARIABLE_POLL_SECONDS = 0.5


class TokenStore(Protocol):
    """A shared key-value store for token records, with a turn-taking lock for refreshes."""

    name: str

    def read(self, key: str) -> str | None: ...

    def write(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def refresh_turn(
        self, key: str, *, done: Callable[[], bool], timeout: float
    ) -> contextlib.AbstractContextManager[bool]:
        """Wait for the turn to refresh `key`: yield True when it is ours, False when `done()` turned true
        while waiting (another caller refreshed). After `timeout` seconds it yields True anyway: a stuck
        process must not block every other one forever."""
        ...


def _sleep_poll(base: float) -> None:
    """Sleep about `base` seconds; jitter keeps waiting processes from polling in lockstep."""
    time.sleep(base * (0.5 + random.random()))  # noqa: S311  # jitter, not cryptography


class MemoryTokenStore:
    """Tokens in this process only: for scripts and tests outside Airflow."""

    name = "memory"

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()
        self._turns: dict[str, threading.Lock] = {}

    def read(self, key: str) -> str | None:
        with self._lock:
            return self._values.get(key)

    def write(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    @contextlib.contextmanager
    def refresh_turn(self, key: str, *, done: Callable[[], bool], timeout: float) -> Iterator[bool]:
        with self._lock:
            turn = self._turns.setdefault(key, threading.Lock())
        acquired = turn.acquire(timeout=timeout)
        try:
            yield True
        finally:
            if acquired:
                turn.release()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._values)})"


# The memory store that every client of this process shares unless given another.
SHARED_MEMORY_STORE = MemoryTokenStore()


def default_cache_directory() -> Path:
    """$BIGIN_TOKEN_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, under airflow-provider-bigin."""
    explicit = os.environ.get("BIGIN_TOKEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "airflow-provider-bigin"


def _private_directory(path: Path) -> Path:
    """Create `path` readable by this user only, and refuse one that another user could read or own."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConnectionConfigError(
            f"The token cache directory {path} belongs to another user: set BIGIN_TOKEN_CACHE_DIR to a "
            "directory of your own."
        )
    if info.st_mode & 0o077:
        path.chmod(0o700)
    return path


class FileTokenStore:
    """Tokens in JSON files (mode 0600) under one directory, with flock for turns: for a single host."""

    name = "file"

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = _private_directory(Path(directory) if directory else default_cache_directory())

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / f"{key}{suffix}"

    def read(self, key: str) -> str | None:
        try:
            return self._path(key, ".json").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, key: str, value: str) -> None:
        """Write atomically (a temporary file renamed over the old one), so readers never see half a token."""
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(value)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self._path(key, ".json"))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key, ".json").unlink()

    @contextlib.contextmanager
    def refresh_turn(self, key: str, *, done: Callable[[], bool], timeout: float) -> Iterator[bool]:
        descriptor = os.open(self._path(key, ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        locked = False
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                    break
                except BlockingIOError:
                    pass
                if done():
                    break
                if time.monotonic() >= deadline:
                    log.warning(
                        "Waited %.0f s for another process to refresh the Bigin token; refreshing.", timeout
                    )
                    break
                _sleep_poll(FILE_POLL_SECONDS)
            yield locked or not done()
        finally:
            if locked:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def __repr__(self) -> str:
        return f"FileTokenStore(directory={str(self.directory)!r})"


class VariableTokenStore:
    """Tokens in Airflow Variables, shared by every worker; for use inside Airflow tasks.

    Turns: processes on one host queue on a file lock; across hosts, the one whose lease (a Variable written
    before refreshing, then read back after a pause) survives refreshes, and the others wait for its token.
    Two hosts writing their leases within the same pause may both refresh: a grant or two per cold start.
    """

    name = "variable"
    DESCRIPTION = "Bigin access token cache (airflow-provider-bigin). Safe to delete: a new token is minted."

    def __init__(
        self,
        *,
        lock_directory: str | os.PathLike[str] | None = None,
        lease_seconds: float = 30.0,
        settle_seconds: float = 0.3,
        poll_seconds: float = VARIABLE_POLL_SECONDS,
    ) -> None:
        self._local = FileTokenStore(lock_directory)
        self.lease_seconds = lease_seconds
        self.settle_seconds = settle_seconds
        self.poll_seconds = poll_seconds
        self._owner = uuid.uuid4().hex

    @staticmethod
    def _variable() -> Any:
        from airflow.sdk import Variable  # noqa: PLC0415  # Airflow only when this store is chosen

        return Variable

    def read(self, key: str) -> str | None:
        value = self._variable().get(key, default=None)
        return value if isinstance(value, str) else None

    def write(self, key: str, value: str) -> None:
        self._variable().set(key, value, description=self.DESCRIPTION)

    def delete(self, key: str) -> None:
        try:
            self._variable().delete(key)
        except Exception:  # a Variable already gone is what we wanted
            log.debug("Could not delete Variable %s.", key, exc_info=True)

    def _lease_owner(self, key: str) -> tuple[str | None, float]:
        try:
            lease = json.loads(self.read(key) or "{}")
            return str(lease.get("owner")), float(lease.get("until", 0))
        except (ValueError, TypeError, AttributeError):
            return None, 0.0

    def _win_lease(self, key: str, *, done: Callable[[], bool], deadline: float) -> bool:
        """True when this process holds the lease; False when done() turned true while waiting."""
        while True:
            owner, until = self._lease_owner(key)
            if owner not in (None, self._owner) and until > time.time():
                if done():
                    return False
                if time.monotonic() >= deadline:
                    return True
                _sleep_poll(self.poll_seconds)
                continue
            self.write(key, json.dumps({"owner": self._owner, "until": time.time() + self.lease_seconds}))
            time.sleep(self.settle_seconds)
            if self._lease_owner(key)[0] == self._owner:
                return True

    @contextlib.contextmanager
    def refresh_turn(self, key: str, *, done: Callable[[], bool], timeout: float) -> Iterator[bool]:
        deadline = time.monotonic() + timeout
        lease_key = f"{key}__lease"
        with self._local.refresh_turn(key, done=done, timeout=timeout) as local_turn:
            mine = local_turn and self._win_lease(lease_key, done=done, deadline=deadline)
            try:
                yield mine
            finally:
                if mine and self._lease_owner(lease_key)[0] == self._owner:
                    self.delete(lease_key)

    def __repr__(self) -> str:
        return "VariableTokenStore()"


TOKEN_CACHE_CHOICES = ("auto", "variable", "file", "memory")


def in_airflow_task() -> bool:
    """True inside an Airflow task (Task SDK context), without importing Airflow.

    The task runner sets `SUPERVISOR_COMMS` in its module for the life of a task, also under dag.test(); the
    Task SDK itself checks the same attribute to tell a task from other processes.
    """
    task_runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def build_token_store(kind: str | None) -> TokenStore:
    """The store a `token_cache` setting names; "auto" (the default) is variable in a task, else file."""
    choice = (kind or "auto").strip().lower()
    if choice == "auto":
        choice = "variable" if in_airflow_task() else "file"
    if choice == "variable":
        return VariableTokenStore()
    if choice == "file":
        return FileTokenStore()
    if choice == "memory":
        return SHARED_MEMORY_STORE
    raise ConnectionConfigError(f"token_cache {kind!r} is not one of {', '.join(TOKEN_CACHE_CHOICES)}.")
