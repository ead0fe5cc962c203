"""The bare minimum: the floor's calls sent by plain threads, replies read as bytes and never parsed.

Not a way anyone would remove tags (nothing is checked); it measures what the sandbox and this machine allow,
so that the provider's client can be told apart from its surroundings: (a) divided by this is the client's own
overhead (token, validation, parsing, results, retries), whatever the sandbox's speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

from benchmarks.conditions import MAX_IDS_PER_CALL


def send_bare(
    *,
    api_domain: str,
    token: str,
    module: str,
    record_ids: Sequence[str],
    tags: Sequence[str],
    concurrency: int,
) -> float:
    """Seconds to send ceil(N/500) Remove Tags calls, `concurrency` at a time, over pooled sessions."""
    local = threading.local()
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    url = f"{api_domain}/bigin/v2/{module}/actions/remove_tags"
    chunks = [record_ids[i : i + MAX_IDS_PER_CALL] for i in range(0, len(record_ids), MAX_IDS_PER_CALL)]
    sessions: list[requests.Session] = []

    def send(chunk: Sequence[str]) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.mount("http://", HTTPAdapter(pool_maxsize=1))
            sessions.append(session)
        response = session.post(
            url, params={"ids": ",".join(chunk), "tag_names": ",".join(tags)}, headers=headers, timeout=30
        )
        return len(response.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, chunks))
    seconds = time.perf_counter() - started
    for session in sessions:
        session.close()
    return seconds
