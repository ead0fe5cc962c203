"""Way (b): the loop found in hand-written DAGs. A fresh token per task, then one call per record.

Written the way such a task usually is: `requests.post` for the token, then `requests.post` on the
single-record endpoint for each id, with no session (a new connection per call), no concurrency and no retry.
It is the baseline that the provider is measured against, not code to copy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests

TIMEOUT_SECONDS = 30


class TokenRefused(RuntimeError):
    """The token endpoint answered without a token (for instance Zoho's `Access Denied` budget reply)."""


@dataclass(frozen=True)
class LoopTiming:
    token_seconds: float  # the task's token grant
    calls_seconds: float  # every per-record call after it
    calls: int
    failed: int  # records whose call did not answer 2xx

    @property
    def seconds(self) -> float:
        return self.token_seconds + self.calls_seconds

    @property
    def seconds_per_call(self) -> float:
        return self.calls_seconds / self.calls if self.calls else 0.0


def fetch_token(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    """The refresh grant, as a hand-written task does it at its start."""
    response = requests.post(
        f"{accounts_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        timeout=TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    reply = response.json()
    if "access_token" not in reply:
        raise TokenRefused(f"token grant refused: {reply.get('error')}")
    return str(reply["access_token"])


def remove_tags_one_by_one(
    *,
    accounts_url: str,
    api_domain: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    module: str,
    record_ids: Sequence[str],
    tags: Sequence[str],
) -> LoopTiming:
    """One task: a token, then one POST per record on the single-record Remove Tags endpoint."""
    started = time.perf_counter()
    token = fetch_token(accounts_url, client_id, client_secret, refresh_token)
    token_done = time.perf_counter()
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    failed = 0
    for record_id in record_ids:
        response = requests.post(
            f"{api_domain}/bigin/v2/{module}/{record_id}/actions/remove_tags",
            params={"tag_names": ",".join(tags)},
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )
        if not response.ok:
            failed += 1
    finished = time.perf_counter()
    return LoopTiming(
        token_seconds=token_done - started,
        calls_seconds=finished - token_done,
        calls=len(record_ids),
        failed=failed,
    )
