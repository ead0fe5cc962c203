"""A deadline per attempt: connecting, waiting for headers and reading the body end within `timeout` in all.

requests' timeouts bound each socket read, so a server that trickles a byte a second holds a call for as long
as it likes. Here one watchdog thread keeps every attempt's deadline; when one passes, it shuts down the
socket of the connection that attempt is using, which wakes the blocked read at once. The attempt then sees
`expired` and reports a lost reply.

The connection in use is known two ways: the pools of `DeadlineAdapter` (mounted by the client's own
session) name it as soon as it is taken, which bounds the wait for the headers too; for a session the caller
brought, the reply names it once its headers are in, which bounds the body. A connection's owner is recorded
on it, so that a deadline that passes after its attempt finished never cuts the next attempt's socket.

urllib3 hands a connection back to its pool during the body's last read, before the attempt finishes. The
pools here clear its owner first, under the owner's lock (the lock `_fire` cuts under), so a pooled
connection is never owned and a late deadline cannot cut it while another thread takes it from the pool; one
whose owner already expired may have been cut, so it is closed instead of pooled.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# How soon the watchdog looks again at an expired attempt that has no socket yet (it is still connecting).
_RECHECK_SECONDS = 0.05
_OWNER = "_bigin_deadline"  # the attribute naming, on a urllib3 connection, the attempt that uses it


def _cut(sock: Any) -> None:
    """Wake every read on `sock`: the plain socket's shutdown, under TLS too (never SSLSocket's, which
    tears down the TLS state another thread is reading with)."""
    try:
        if isinstance(sock, socket.socket):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        else:  # TLS in TLS (an https proxy): urllib3's SSLTransport
            sock.close()
    except (OSError, ValueError):
        pass  # already closed: nothing left to wake


class Deadline:
    """One attempt's deadline; `expired` once the watchdog cut it short."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._done = False
        self._connection: Any = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def watch(self, connection: Any) -> None:
        """The urllib3 connection this attempt uses from now on."""
        if connection is None:
            return
        with self._lock:
            if self._done:
                return
            self._connection = connection
            setattr(connection, _OWNER, self)
            expired = self.expired
        if expired:
            self._fire()

    def finish(self) -> None:
        """The attempt is over: the watchdog leaves its connection alone from now on."""
        with self._lock:
            self._done = True
            if self._connection is not None and getattr(self._connection, _OWNER, None) is self:
                setattr(self._connection, _OWNER, None)
            self._connection = None

    def release(self, connection: Any) -> bool:
        """`connection` goes back to its pool: this attempt no longer owns it. True when it may have been cut
        (the deadline passed), so it must be closed rather than pooled."""
        with self._lock:
            if getattr(connection, _OWNER, None) is self:
                setattr(connection, _OWNER, None)
            if self._connection is connection:
                self._connection = None
            return self.expired

    def _fire(self) -> bool:
        """Cut the attempt short; True when it has no socket yet, so the watchdog must look again."""
        with self._lock:
            if self._done:
                return False
            self.expired = True
            connection = self._connection
            sock = getattr(connection, "sock", None)
            if sock is None or getattr(connection, _OWNER, None) is not self:
                return True
            _cut(sock)
            return False


class _Watchdog:
    """One daemon thread that fires deadlines in time order; started on first use, again after a fork."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start afresh: after a fork, the parent's thread and lock did not come along."""
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline, at: float | None = None) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.at if at is None else at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bigin-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                at, _, deadline = self._heap[0]
                now = time.monotonic()
                if at > now:
                    self._wake.wait(at - now)
                    continue
                heapq.heappop(self._heap)
            if deadline._fire():
                self.add(deadline, at=now + _RECHECK_SECONDS)


_WATCHDOG = _Watchdog()
_CURRENT = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG.reset)


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Run one attempt under a deadline of `seconds`; the connections it takes are watched."""
    attempt = Deadline(seconds)
    previous = getattr(_CURRENT, "deadline", None)
    _CURRENT.deadline = attempt
    _WATCHDOG.add(attempt)
    try:
        yield attempt
    finally:
        _CURRENT.deadline = previous
        attempt.finish()


def _watched(connection: Any) -> Any:
    attempt: Deadline | None = getattr(_CURRENT, "deadline", None)
    if attempt is not None:
        attempt.watch(connection)
    return connection


def _released(connection: Any) -> Any:
    """`connection` without an owner, ready for the pool; None (a free slot) once it is closed instead."""
    owner: Deadline | None = getattr(connection, _OWNER, None)
    if owner is not None and owner.release(connection):
        connection.close()
        return None
    return connection


class _DeadlineHTTPPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _watched(super()._get_conn(timeout))

    def _put_conn(self, conn: Any) -> None:
        super()._put_conn(_released(conn))


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _watched(super()._get_conn(timeout))

    def _put_conn(self, conn: Any) -> None:
        super()._put_conn(_released(conn))


_POOLS = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections the running attempt's deadline can cut, proxied ones too."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS brings pools of its own: per-read timeouts only
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
