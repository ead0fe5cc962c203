"""Way (a): this provider's BiginClient, built from the connection as the hook builds it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_bigin.client import BiginClient, ClientSettings, FileTokenStore
from airflow_provider_bigin.client.tokens.source import forget_process_tokens


@dataclass(frozen=True)
class ClientTiming:
    seconds: float
    cpu_seconds: float  # this process's CPU time during the run (the client's threads)
    api_calls: int  # as the client's summary counts them
    retries: int
    failed: int


def client_settings(connection: Mapping[str, Any], **extra_overrides: Any) -> ClientSettings:
    """ClientSettings from an Airflow-style connection dict (the sandbox's `connection()`)."""
    extra = {**connection["extra"], **extra_overrides}
    return ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra=extra
    )


def remove_tags_with_client(
    connection: Mapping[str, Any],
    *,
    module: str,
    record_ids: Sequence[str],
    tags: Sequence[str],
    max_concurrency: int,
    token_directory: Path,
) -> ClientTiming:
    """A cold task: no token in memory or in the file store, so the timing includes the one grant."""
    forget_process_tokens()
    started, cpu_started = time.perf_counter(), time.process_time()
    settings = client_settings(connection, max_concurrency=max_concurrency)
    with BiginClient(settings, token_store=FileTokenStore(token_directory)) as client:
        outcome = client.remove_tags(module, list(record_ids), list(tags))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    summary = outcome.summary
    return ClientTiming(
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        api_calls=summary.api_calls,
        retries=summary.retries,
        failed=summary.failed,
    )
