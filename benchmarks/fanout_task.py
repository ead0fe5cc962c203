"""One task process of the fan-out: it gets ready, waits for "go" on stdin, removes a tag, prints JSON.

`python -m benchmarks.fanout_task client|handwritten MODULE RECORD_ID TAG`, with the connection JSON in
$BENCH_CONNECTION. "client" builds this provider's client with its defaults (cache_backend "auto": outside
an Airflow task, the file store); "handwritten" fetches its own token with requests, as such tasks do.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from benchmarks.task_processes import READY

CONNECTION_ENV = "BENCH_CONNECTION"


def _client_task(connection: dict[str, Any], module: str, record_id: str, tag: str) -> bool:
    from airflow_provider_bigin.client import BiginClient
    from benchmarks.provider_client import client_settings

    with BiginClient(client_settings(connection)) as client:
        outcome = client.remove_tags(module, [record_id], [tag])
    return outcome.summary.failed == 0


def _handwritten_task(connection: dict[str, Any], module: str, record_id: str, tag: str) -> bool:
    import requests

    from benchmarks.per_record_loop import TIMEOUT_SECONDS, fetch_token

    extra = connection["extra"]
    token = fetch_token(
        extra["accounts_url"], connection["login"], connection["password"], extra["refresh_token"]
    )
    response = requests.post(
        f"{extra['api_domain']}/bigin/v2/{module}/{record_id}/actions/remove_tags",
        params={"tag_names": tag},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=TIMEOUT_SECONDS,
    )
    return response.ok


def main(argv: list[str]) -> int:
    kind, module, record_id, tag = argv
    connection = json.loads(os.environ[CONNECTION_ENV])
    task = _client_task if kind == "client" else _handwritten_task
    # Import everything a task imports before the start line, so that the tasks start together.
    if kind == "client":
        import airflow_provider_bigin.client.bigin  # noqa: F401
    else:
        import requests  # noqa: F401
    print(READY, flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    error = ""
    try:
        ok = task(connection, module, record_id, tag)
    except Exception as exc:  # a failed task is a result here, not a crash of the benchmark
        ok, error = False, type(exc).__name__
    print(json.dumps({"ok": ok, "error": error, "seconds": time.perf_counter() - started}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
