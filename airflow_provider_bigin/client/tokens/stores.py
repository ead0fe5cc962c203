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
import stat
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
# A token record is about 300 bytes: a larger cache file is damaged, and is not read into memory.
MAX_RECORD_BYTES = 64 * 1024
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
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConnectionConfigError(
            f"The token cache directory {path} is not a directory (a file is in its place): remove it, or "
            "set BIGIN_TOKEN_CACHE_DIR to a directory of your own."
        ) from None
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
        """The record, or None: also when something other than a file is in its place (a directory, a
        FIFO, a device), which is never read from, and which the next write replaces."""
        path = self._path(key, ".json")
        try:
            # O_NONBLOCK: opening a FIFO to read would otherwise wait for a writer that never comes.
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as error:  # EISDIR on some systems, ENXIO for a socket
            log.warning("The Bigin token cache %s cannot be read (%s): a miss.", path, type(error).__name__)
            return None
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
                log.warning(
                    "The Bigin token cache %s is not a token file (%s): a miss, replaced by the next token.",
                    path,
                    f"{info.st_size:,} bytes" if stat.S_ISREG(info.st_mode) else _kind(info.st_mode),
                )
                return None
            return os.read(descriptor, MAX_RECORD_BYTES + 1).decode("utf-8", errors="replace")
        finally:
            os.close(descriptor)

    def write(self, key: str, value: str) -> None:
        """Write atomically (a temporary file renamed over the old one), so readers never see half a token.

        Whatever is in the file's place is replaced: a FIFO or a device by the rename itself; a directory is
        first removed when empty, else moved aside (never deleted with its content).
        """
        path = self._path(key, ".json")
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(value)
            os.chmod(temporary, 0o600)
            _clear_directory_in_place(path)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key, ".json").unlink()

    def _open_lock(self, key: str) -> int:
        """The lock file's descriptor; a directory, FIFO or device in its place is moved aside or replaced."""
        path = self._path(key, ".lock")
        for _ in range(3):  # another process may be repairing the same path at the same moment
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NONBLOCK, 0o600)
            except IsADirectoryError:
                _clear_directory_in_place(path)
                continue
            except OSError as error:
                raise ConnectionConfigError(
                    f"The Bigin token lock file {path} cannot be opened ({type(error).__name__}): remove it, "
                    "or set BIGIN_TOKEN_CACHE_DIR to a directory of your own."
                ) from None
            info = os.fstat(descriptor)
            if stat.S_ISREG(info.st_mode):
                return descriptor
            os.close(descriptor)
            log.warning(
                "The Bigin token lock %s is a %s, not a file: replacing it.", path, _kind(info.st_mode)
            )
            with contextlib.suppress(FileNotFoundError):
                if os.lstat(path).st_ino == info.st_ino:  # not a file another process has just put there
                    os.unlink(path)
        raise ConnectionConfigError(
            f"The Bigin token lock file {path} is not a regular file and could not be replaced: remove it, "
            "or set BIGIN_TOKEN_CACHE_DIR to a directory of your own."
        )

    @contextlib.contextmanager
    def refresh_turn(self, key: str, *, done: Callable[[], bool], timeout: float) -> Iterator[bool]:
        descriptor = self._open_lock(key)
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


def _kind(mode: int) -> str:
    """What a file system entry is, in words, for log lines."""
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _clear_directory_in_place(path: Path) -> None:
    """Make room for a file at `path` where a directory stands: an empty one is removed, a full one moved
    aside under a name that says so (its content is the user's to judge)."""
    if path.is_symlink() or not path.is_dir():
        return
    try:
        path.rmdir()
        return
    except FileNotFoundError:  # another process removed it first
        return
    except OSError:  # not empty
        pass
    aside = path.with_name(f"{path.name}.moved-aside-{os.getpid()}-{time.time_ns()}")
    with contextlib.suppress(FileNotFoundError):
        path.rename(aside)
        log.warning("The Bigin token cache had a directory at %s: moved it to %s.", path, aside)


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
