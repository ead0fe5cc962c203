"""A child process in a session of its own, and a bounded way to stop everything it ever started.

Airflow's components fork freely: the scheduler starts a log server and LocalExecutor workers, and each
worker's Task SDK supervisor puts the task process into a new process group. Killing one process group would
miss those, so every component starts as the leader of a new *session*, and stopping signals every process
still in that session (found in ``/proc``): first SIGTERM, then SIGKILL once the grace period is over.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_PROC = Path("/proc")
_POLL_SECONDS = 0.1


def session_members(session_id: int) -> list[int]:
    """Live (not zombie) processes whose session id is ``session_id``."""
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # The command name (field 2) is in parentheses and may hold spaces: split after its last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            members.append(int(entry.name))
    return members


def proc_cmdlines() -> dict[int, str]:
    """Command line of every live process, arguments joined by spaces."""
    found = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:  # the process ended while we looked
                continue
            if raw:  # zombies and kernel threads have none
                found[int(entry.name)] = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def _signal_all(pids: Sequence[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.kill(pid, signum)


class SessionProcess:
    """One command running as the leader of its own session, its output appended to a log file."""

    def __init__(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self._popen = subprocess.Popen(  # the argv comes from the test itself, never from input
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._popen.pid  # also its session id: it is the session leader

    def __repr__(self) -> str:
        return f"SessionProcess({self.name!r}, pid={self.pid})"

    def exit_code(self) -> int | None:
        """The leader's exit code, or None while it runs."""
        return self._popen.poll()

    def members(self) -> list[int]:
        return session_members(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_seconds: float) -> list[int]:
        """SIGTERM to the whole session, SIGKILL to what survives the grace; returns the SIGKILLed pids."""
        _signal_all(self.members(), signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline:
            self._popen.poll()  # reap the leader so that it does not linger as a zombie
            if not self.members():
                return []
            time.sleep(_POLL_SECONDS)
        survivors = self.members()
        _signal_all(survivors, signal.SIGKILL)
        deadline = time.monotonic() + grace_seconds
        while self.members() and time.monotonic() < deadline:
            self._popen.poll()
            time.sleep(_POLL_SECONDS)
        self._popen.poll()
        return survivors
