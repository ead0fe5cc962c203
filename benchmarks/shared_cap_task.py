"""A task process of the shared-cap scenario: ready with a token, waits for "go", removes a tag, prints JSON.

`python -m benchmarks.shared_cap_task fixed|adaptive|alone MODULE FIRST COUNT TAG`, with the connection JSON
in $BENCH_CONNECTION: the client removes TAG from the benchmark records FIRST to FIRST+COUNT-1 with its
default `max_concurrency`, its calls in flight fixed or adaptive; "alone" is one client with the org's whole
cap to itself (`max_concurrency` 10, fixed), the most one coordinated sender gets. The token is fetched
before "ready" (the tasks share it through the file store), so that the run measures calls alone.
"""

from __future__ import annotations

import json
import os
import sys
import time

from benchmarks.fanout_task import CONNECTION_ENV
from benchmarks.seeding import FIRST_SERIAL, ID_PREFIX
from benchmarks.task_processes import READY

ALONE_CONCURRENCY = 10  # the org's cap, Bigin's reported one


def main(argv: list[str]) -> int:
    from airflow_provider_bigin.client import BiginClient
    from benchmarks.provider_client import client_settings

    mode, module, first, count, tag = argv
    ids = [f"{ID_PREFIX}{FIRST_SERIAL + index:012d}" for index in range(int(first), int(first) + int(count))]
    connection = json.loads(os.environ[CONNECTION_ENV])
    settings = client_settings(
        connection, **({"max_concurrency": ALONE_CONCURRENCY} if mode == "alone" else {})
    )
    with BiginClient(settings, adaptive_concurrency=mode == "adaptive") as client:
        client.tokens.get()
        print(READY, flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        outcome = client.remove_tags(module, ids, [tag])
        seconds = time.perf_counter() - started
    failed = [result.id for result in outcome.results if not result.ok]
    reply = {
        "seconds": seconds,
        "succeeded": outcome.summary.succeeded,
        "failed": failed,
        "api_calls": outcome.summary.api_calls,
        "retries": outcome.summary.retries,
        "rate_limited": client.concurrency.rate_limited,
        "final_limit": client.concurrency.limit,
    }
    print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
