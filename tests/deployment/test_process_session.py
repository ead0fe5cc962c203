"""Stopping a component reaches every process it started, even those in process groups of their own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.deployment.process_session import SessionProcess, session_members

# A parent that ignores SIGTERM, with a child that moves to a process group of its own (as the Task SDK
# supervisor does with a task process) and also ignores SIGTERM: only the session reaches both.
STUBBORN_TREE = """
import os, signal, subprocess, sys, time
IGNORE_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", IGNORE_TERM], preexec_fn=os.setpgrp)
print(child.pid, flush=True)
time.sleep(600)
"""

POLITE = "import time; time.sleep(600)"


def _wait_for_line(path: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = path.read_text()
        if text.endswith("\n"):
            return text.strip()
        time.sleep(0.05)
    raise AssertionError(f"no output in {path}")


def test_stop_kills_the_whole_session_when_sigterm_is_ignored(tmp_path: Path) -> None:
    log = tmp_path / "tree.log"
    process = SessionProcess("tree", [sys.executable, "-c", STUBBORN_TREE], env={}, log_path=log)
    child_pid = int(_wait_for_line(log))
    assert set(process.members()) == {process.pid, child_pid}

    killed = process.stop(grace_seconds=1.0)

    assert set(killed) == {process.pid, child_pid}
    assert session_members(process.pid) == []
    assert process.exit_code() is not None


def test_stop_needs_no_sigkill_for_a_process_that_honours_sigterm(tmp_path: Path) -> None:
    process = SessionProcess("polite", [sys.executable, "-c", POLITE], env={}, log_path=tmp_path / "p.log")

    assert process.stop(grace_seconds=10.0) == []
    assert process.members() == []
    assert process.exit_code() == -15
