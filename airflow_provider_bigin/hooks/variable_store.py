"""The Airflow Variable token store: one access token shared by every worker of a deployment.

It lives beside the hook because it knows Airflow, which the client never imports; the hook hands it to the
client when the connection's ``cache_backend`` is "variable", or "auto" inside a task.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_bigin.client.tokens.stores import FileTokenStore, jittered_sleep

log = logging.getLogger(__name__)

VARIABLE_POLL_SECONDS = 0.5


def in_airflow_task() -> bool:
    """True inside an Airflow task (Task SDK context), without importing Airflow.

    The task runner sets `SUPERVISOR_COMMS` in its module for the life of a task, also under dag.test(); the
    Task SDK itself checks the same attribute to tell a task from other processes.
    """
    task_runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


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
                jittered_sleep(self.poll_seconds)
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
