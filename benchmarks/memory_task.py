"""The client alone in a child process: it removes tags from many ids and prints its peak RSS and times.

`python -m benchmarks.memory_task MODULE COUNT TAG [TAG ...]`, with the connection JSON in $BENCH_CONNECTION
and the client's concurrency in $BENCH_MAX_CONCURRENCY. With $BENCH_SINK_PATH set, the run hands each settled
call's results to a sink that writes them as JSON Lines to that file (what an operator's results_path does,
on local disk), and keeps only the failed ones. A process of its own, so that its peak RSS is the client's
(plus the interpreter and the ids it was given), and nothing of the parent's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from benchmarks.fanout_task import CONNECTION_ENV

if TYPE_CHECKING:
    from airflow_provider_bigin.client import RecordResult

CONCURRENCY_ENV = "BENCH_MAX_CONCURRENCY"
SINK_PATH_ENV = "BENCH_SINK_PATH"


def _status_kib(field: str) -> int:
    """A size from /proc/self/status (Linux), in KiB: VmRSS now, or VmHWM, the peak.

    VmHWM rather than getrusage's ru_maxrss: ru_maxrss keeps, across exec, the peak of the process this one
    was forked from, so a child of a large benchmark process would report its parent's size.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}: this measurement needs Linux")


class JsonLinesSink:
    """Writes each batch of results to an open file as JSON Lines, and counts the lines."""

    def __init__(self, file: IO[str]) -> None:
        from airflow_provider_bigin.client.results import to_json_lines

        self._file = file
        self._encode = to_json_lines
        self.lines = 0

    def __call__(self, results: Sequence[RecordResult]) -> None:
        self._file.write(self._encode(results))
        self.lines += len(results)


def main(argv: list[str]) -> int:
    module, count, *tags = argv
    from airflow_provider_bigin.client import BiginClient
    from benchmarks.provider_client import client_settings
    from benchmarks.seeding import record_ids

    connection = json.loads(os.environ[CONNECTION_ENV])
    settings = client_settings(connection, max_concurrency=int(os.environ[CONCURRENCY_ENV]))
    sink_path = os.environ.get(SINK_PATH_ENV)
    imported_kib = _status_kib("VmRSS")
    ids = record_ids(int(count))
    before_kib = _status_kib("VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    lines = None
    with BiginClient(settings) as client:
        if sink_path is None:
            outcome = client.remove_tags(module, ids, tags)
        else:
            with open(sink_path, "w", encoding="utf-8") as file:
                sink = JsonLinesSink(file)
                outcome = client.remove_tags(module, ids, tags, sink=sink)
                lines = sink.lines
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "imported_kib": imported_kib,
                "before_kib": before_kib,
                "peak_kib": _status_kib("VmHWM"),
                "after_kib": _status_kib("VmRSS"),
                "results": len(outcome.results),
                "succeeded": outcome.summary.succeeded,
                "api_calls": outcome.summary.api_calls,
                "lines": lines,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
