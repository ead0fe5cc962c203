"""Task processes that start together: each prints READY once its imports are done, then all get "go".

Both fan-out scenarios (fanout.py, shared_cap.py) measure from one start signal, so that process start-up and
imports, which differ from task to task, are not part of what is timed.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any

READY = "ready"


def run_together(
    processes: list[subprocess.Popen[str]],
    *,
    timeout: float,
    when_ready: Callable[[], None] = lambda: None,
) -> tuple[list[dict[str, Any]], float]:
    """Each process's last line of JSON, and the seconds from "go" to the last one's end; kills leftovers.

    :param when_ready: called once every process is ready, just before "go" (to reset counters, say).
    """
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            if line != READY:
                raise RuntimeError(f"a task process did not get ready: {line!r}")
        when_ready()
        started = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        replies = []
        for process in processes:
            out, _ = process.communicate(timeout=timeout)
            replies.append(json.loads(out.strip().splitlines()[-1]))
        return replies, time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
