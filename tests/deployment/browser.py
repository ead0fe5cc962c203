"""Headless Chromium for the UI check: Debian's own browser, driven by Playwright's Python package.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``scripts/ensure-chromium.sh``
installs it) with a fresh profile directory, and closes it, and its driver, on the way out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.deployment.process_session import proc_cmdlines

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
#: As root in a container: no sandbox, no GPU, and no traffic of the browser's own (updates, sync, QUIC).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1280, "height": 1000}


@contextmanager
def chromium_page(profile_dir: Path) -> Iterator[Page]:
    """A page of a headless Chromium whose profile lives in ``profile_dir`` (fresh: it must not exist yet)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            context.close()


def browser_pids(profile_dir: Path) -> list[int]:
    """Processes of the browser that used ``profile_dir`` (none once ``chromium_page`` has returned)."""
    return [pid for pid, cmdline in proc_cmdlines().items() if str(profile_dir) in cmdline]
