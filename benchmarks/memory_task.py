"""The memory scenario's child process: the client removes tags from many ids; it prints its peak RSS.

`python -m benchmarks.memory_task MODULE COUNT TAG [TAG ...]`, with the connection JSON in $BENCH_CONNECTION
and the client's concurrency in $BENCH_MAX_CONCURRENCY. A process of its own, so that its peak RSS is the
client's (plus the interpreter and the ids it was given), and nothing of the parent's.
"""

from __future__ import annotations

import json
import os
import sys
import time

from benchmarks.fanout_task import CONNECTION_ENV

CONCURRENCY_ENV = "BENCH_MAX_CONCURRENCY"


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


def main(argv: list[str]) -> int:
    module, count, *tags = argv
    from airflow_provider_bigin.client import BiginClient
    from benchmarks.provider_client import client_settings
    from benchmarks.seeding import record_ids

    connection = json.loads(os.environ[CONNECTION_ENV])
    settings = client_settings(connection, max_concurrency=int(os.environ[CONCURRENCY_ENV]))
    imported_kib = _status_kib("VmRSS")
    ids = record_ids(int(count))
    before_kib = _status_kib("VmRSS")
    started = time.perf_counter()
    with BiginClient(settings) as client:
        outcome = client.remove_tags(module, ids, tags)
    seconds = time.perf_counter() - started
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
                "seconds": seconds,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
