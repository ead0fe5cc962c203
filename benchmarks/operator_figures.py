"""What one operator benchmark run measured, under dag.test() or in a deployment, and how it is read.

Shared by both ways of running the operator: the figures of a run, the timings file its operator wrote, the
lines of its results file, and the line of a task log that says why a task failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024  # KiB per MiB
DAG_TEST = "dag.test()"
DEPLOYMENT = "deployment"
# What names the error a task failed with: a deployment's JSON log lines, or a console log's exception line.
_JSON_FAILURE = re.compile(r'"exc_type":"(\w+)","exc_value":"((?:[^"\\]|\\.)*)"')
_FAILURE = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Timeout)\b(?::.*)?)")
_FAILURE_MARKERS = ("Task failed with exception", "error", "ERROR")
_REASON_LENGTH = 200


@dataclass(frozen=True)
class OperatorRun:
    """One RemoveTagsOperator run between its upstream and downstream tasks."""

    mode: str  # DAG_TEST or DEPLOYMENT
    variant: str  # operator_dag.VARIANTS
    size: int
    state: str  # the operator task's final state
    consumer_state: str
    task_seconds: float | None  # the operator task's start to end (Airflow's own dates)
    execute_seconds: float | None  # its execute(), timed by its wall clock
    push_seconds: float | None  # execute's end to the task's end: the return value's XCom push
    pull_seconds: float | None  # the downstream task's xcom_pull of return_value and summary
    records_returned: int | None  # what the downstream task got as return_value (None: no XCom)
    summary: dict[str, Any] | None  # the summary XCom, as the downstream task got it
    xcom_bytes: dict[str, int]  # the operator task's XCom rows in the metadata database, by key
    results_lines: int | None  # lines in the results file, when results_path was given
    api_calls: int  # remove_tags calls the sandbox answered
    runner_mib: float | None  # the task runner's peak RSS (under dag.test(): the whole process's)
    supervisor_mib: float | None = None  # the LocalExecutor worker that supervised it
    api_server_mib: float | None = None  # the API server while it and the downstream task ran
    supervisor_start_mib: float | None = None  # their RSS when the task started (what earlier runs left)
    api_server_start_mib: float | None = None
    upstream_api_server_mib: float | None = None  # the API server while the upstream task pushed the ids
    ids_xcom_bytes: int = 0  # the upstream task's return value (the ids) in the XCom table
    xcom_backend: str = "default"
    error: str = ""  # why the task failed, from its log
    consumer_error: str = ""  # why the downstream task failed, from its log
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    @property
    def consumed(self) -> bool:
        return self.consumer_state == "success"

    @property
    def execute_and_push_seconds(self) -> float | None:
        if self.execute_seconds is None or self.push_seconds is None:
            return None
        return self.execute_seconds + self.push_seconds


def read_timings(path: Path) -> tuple[float, float] | None:
    """(start, end) of the operator's execute(), wall clock; None when it never wrote them."""
    try:
        timing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return float(timing["execute_start"]), float(timing["execute_end"])


def count_lines(path: Path) -> int | None:
    """Lines in a results file, None when there is none; read in blocks (a million lines is 200 MB)."""
    try:
        with path.open("rb") as file:
            return sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))
    except OSError:
        return None


def failure_reason(log_text: str) -> str:
    """The first exception a task log names, as "Type: message", trimmed; "" when it names none."""
    found = _JSON_FAILURE.search(log_text)
    if found:
        return f"{found.group(1)}: {found.group(2)}"[:_REASON_LENGTH]
    for line in log_text.splitlines():
        if any(marker in line for marker in _FAILURE_MARKERS):
            match = _FAILURE.search(line)
            if match:
                return match.group(1)[:_REASON_LENGTH]
    return ""


def task_split(
    start: float | None, end: float | None, timings: tuple[float, float] | None
) -> tuple[float | None, float | None, float | None]:
    """(task, execute, push) seconds from the task's start and end and its execute()'s timings."""
    task = end - start if start is not None and end is not None else None
    if timings is None:
        return task, None, None
    execute = timings[1] - timings[0]
    push = end - timings[1] if end is not None else None
    return task, execute, push
