"""Way (c): Airflow's HttpHook (apache-airflow-providers-http), one call per 500 ids, sequential.

Written the way a data engineer would do it with the official HTTP provider: an `http` connection pointing at
the API domain, a token fetched with a plain `requests.post` once per run, then `HttpHook.run` per chunk
of 500 ids (the hook opens a new session for each run() call). It is the baseline, not code to copy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.conditions import MAX_IDS_PER_CALL
from benchmarks.per_record_loop import fetch_token

HTTP_CONN_ID = "bigin_http"
HTTP_CONN_ENV = "AIRFLOW_CONN_BIGIN_HTTP"


@dataclass(frozen=True)
class HookTiming:
    seconds: float
    calls: int


@contextmanager
def http_connection(api_domain: str) -> Iterator[None]:
    """The `bigin_http` Airflow connection, from the environment as a deployment would provide it."""
    previous = os.environ.get(HTTP_CONN_ENV)
    os.environ[HTTP_CONN_ENV] = api_domain
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(HTTP_CONN_ENV, None)
        else:
            os.environ[HTTP_CONN_ENV] = previous


def remove_tags_with_http_hook(
    *,
    accounts_url: str,
    api_domain: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    module: str,
    record_ids: Sequence[str],
    tags: Sequence[str],
) -> HookTiming:
    """One run: a token, then one HttpHook POST per 500 ids, one after the other."""
    from airflow.providers.http.hooks.http import HttpHook

    with http_connection(api_domain):
        started = time.perf_counter()
        token = fetch_token(accounts_url, client_id, client_secret, refresh_token)
        hook = HttpHook(method="POST", http_conn_id=HTTP_CONN_ID)
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        calls = 0
        for start in range(0, len(record_ids), MAX_IDS_PER_CALL):
            chunk = record_ids[start : start + MAX_IDS_PER_CALL]
            hook.run(
                f"bigin/v2/{module}/actions/remove_tags",
                headers=headers,
                params={"ids": ",".join(chunk), "tag_names": ",".join(tags)},
            )
            calls += 1
        return HookTiming(seconds=time.perf_counter() - started, calls=calls)
