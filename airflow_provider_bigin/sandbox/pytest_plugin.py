"""Pytest fixtures that give any test suite a running Bigin sandbox.

Registered as the ``pytest11`` entry point ``bigin_sandbox``, so installing the provider is enough: a user's
tests ask for ``bigin_sandbox`` (one shared server, state reset before each test) or
``bigin_sandbox_factory`` (a server of their own, built with any ``Sandbox`` option, stopped at teardown).
Imports stay inside the fixtures: pytest loads this module for every run, sandbox used or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_bigin.sandbox.harness import Sandbox

SandboxFactory = Callable[..., "Sandbox"]


@pytest.fixture(scope="session")
def bigin_sandbox_session() -> Iterator[Sandbox]:
    """One sandbox for the whole session: starting a server per test would dominate a suite's run time."""
    from airflow_provider_bigin.sandbox.harness import Sandbox  # noqa: PLC0415 - see the module docstring

    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def bigin_sandbox(bigin_sandbox_session: Sandbox) -> Sandbox:
    """The shared sandbox, reset to its seed (records, tokens, stats, knobs) before this test."""
    bigin_sandbox_session.reset()
    return bigin_sandbox_session


@pytest.fixture
def bigin_sandbox_factory() -> Iterator[SandboxFactory]:
    """Build ``Sandbox(**options)`` servers for this test; each is stopped when the test ends."""
    from airflow_provider_bigin.sandbox.harness import Sandbox  # noqa: PLC0415 - see the module docstring

    started: list[Sandbox] = []

    def build(**options: Any) -> Sandbox:
        sandbox = Sandbox(**options)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield build
    for sandbox in reversed(started):
        sandbox.stop()
