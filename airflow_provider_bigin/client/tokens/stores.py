"""Where access tokens live between processes: process memory, or a file on this host.

A store keeps JSON text under a key and gives one caller at a time its turn to refresh (`refresh_turn`), so
that processes starting together make one grant between them instead of one each. Keys are hashes: they never
contain a client id or refresh token, and they contain "token" so that Airflow masks a Variable's value. The
store shared across hosts, an Airflow Variable, knows Airflow: the hook builds it and hands it to the client
(``airflow_provider_bigin.hooks.VariableTokenStore``); any other TokenStore can be handed over the same way.
"""

from __future__ import annotations

import contextlib
import fcntl  # POSIX only, as Airflow workers are
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, Protocol

from airflow_provider_bigin.errors import ConnectionConfigError

log = logging.getLogger(__name__)

# Seconds a waiting process sleeps between looks at the store while another one refreshes.
FILE_POLL_SECONDS = 0.05
#: The connection's ``cache_backend`` values, owned here. "auto" and "variable" choose the Airflow Variable
#: inside tasks, which the hook supplies; to a client on its own, "auto" means a file.
CACHE_BACKENDS: Final = ("auto", "variable", "file", "memory")


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


def jittered_sleep(base: float) -> None:
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
                jittered_sleep(FILE_POLL_SECONDS)
            yield locked or not done()
        finally:
            if locked:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def __repr__(self) -> str:
        return f"FileTokenStore(directory={str(self.directory)!r})"


def build_token_store(kind: str | None) -> TokenStore:
    """The store a ``cache_backend`` names, for a client on its own: "auto" (the default) is a file.

    "variable" needs Airflow, which the client never imports: BiginHook hands a client the Variable store.
    """
    choice = (kind or "auto").strip().lower()
    if choice in ("auto", "file"):
        return FileTokenStore()
    if choice == "memory":
        return SHARED_MEMORY_STORE
    if choice == "variable":
        raise ConnectionConfigError(
            "cache_backend 'variable' keeps tokens in an Airflow Variable, which only BiginHook can supply: "
            "use the hook, or pass token_store=VariableTokenStore() (from airflow_provider_bigin.hooks)."
        )
    raise ConnectionConfigError(f"cache_backend {kind!r} is not one of {', '.join(CACHE_BACKENDS)}.")
