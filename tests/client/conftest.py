"""Fixtures for the client tests: clients wired to a sandbox, each with a token cache of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, FileTokenStore, RetryPolicy, TokenStore

# Fast retries: the sandbox answers in microseconds, and tests must not sleep for real backoffs.
FAST_RETRY = RetryPolicy(max_attempts=8, initial_wait=0.005, max_wait=0.05, max_elapsed=60.0)

MakeClient = Callable[..., BiginClient]


def settings_for(sandbox: Any, *, client: str = "default", **extra: Any) -> ClientSettings:
    """ClientSettings from the sandbox's connection, as a hook would build them."""
    connection = sandbox.connection(client=client)
    merged = {**connection["extra"], **extra}
    return ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra=merged
    )


@pytest.fixture
def token_dir(tmp_path: Path) -> Path:
    path = tmp_path / "tokens"
    path.mkdir()
    return path


@pytest.fixture
def make_client(token_dir: Path) -> Iterator[MakeClient]:
    """Build clients against a sandbox; they share this test's file token store unless given another."""
    built: list[BiginClient] = []

    def build(
        sandbox: Any,
        *,
        client: str = "default",
        extra: dict[str, Any] | None = None,
        token_store: TokenStore | None = None,
        **options: Any,
    ) -> BiginClient:
        options.setdefault("retry", FAST_RETRY)
        instance = BiginClient(
            settings_for(sandbox, client=client, **(extra or {})),
            token_store=token_store or FileTokenStore(token_dir),
            **options,
        )
        built.append(instance)
        return instance

    yield build
    for instance in built:
        instance.close()
