"""The documentation site as a reader meets it: built strictly, served on loopback, opened in Chromium.

`mkdocs build --strict` builds the site into a temporary folder (a broken link, a missing snippet, an example
DAG that does not import or a docstring naming no parameter fails it); a plain http.server serves it on
127.0.0.1; Debian's headless Chromium, driven by Playwright, opens every page. A page fails on a console
error, a script error, a request that leaves loopback (the site must need no network: no web fonts, no CDN),
an image that does not load, or no h1. The site's own search must find the Connection page for "refresh
token". Screenshots of the home page and the RemoveTagsOperator page go to $BIGIN_DOCS_SCREENSHOTS when it
is set (`BIGIN_DOCS_SCREENSHOTS=docs` refreshes docs/site-home.png and docs/site-remove-tags.png).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.deployment.browser import chromium_page

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Route

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO_ROOT = Path(__file__).resolve().parents[2]
SEARCH = "refresh token"
SCREENSHOTS = {"": "site-home.png", "remove-tags/": "site-remove-tags.png"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's own signature
        """No access log on the test's stderr."""


@dataclass
class Reader:
    """One browser page on the served site, and every problem it has seen since the last `take_problems`."""

    page: Page
    url: str
    problems: list[str] = field(default_factory=list)

    def take_problems(self) -> list[str]:
        taken, self.problems = self.problems, []
        return taken


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as `make docs` builds it, into a folder of this test's own."""
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-6000:]}"
    return site


@pytest.fixture(scope="module")
def site_url(site_dir: Path) -> Iterator[str]:
    """The built site over plain HTTP on a free loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def reader(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """Headless Chromium on the site; every request that leaves it is refused and counted as a problem."""
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    with chromium_page(profile) as page:
        seen = Reader(page=page, url=site_url)

        def only_the_site(route: Route) -> None:
            if route.request.url.startswith(site_url) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                seen.problems.append(f"request off the site: {route.request.url}")
                route.abort()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                seen.problems.append(f"console error: {message.text}")

        page.route("**/*", only_the_site)
        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.problems.append(f"script error: {error}"))
        yield seen


def site_pages(site_dir: Path) -> list[str]:
    """Every page of the built site, as a path under its root ("" for the home page)."""
    pages = []
    for index in sorted(site_dir.rglob("index.html")):
        relative = index.parent.relative_to(site_dir).as_posix()
        pages.append("" if relative == "." else f"{relative}/")
    return pages


def _unloaded_images(page: Page) -> list[str]:
    sources: list[str] = page.eval_on_selector_all(
        "img", "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    return sources


def test_site_has_every_page_of_the_navigation(site_dir: Path) -> None:
    pages = set(site_pages(site_dir))
    for wanted in ("", "getting-started/", "connection/", "remove-tags/", "add-tags/", "benchmarks/"):
        assert wanted in pages
    assert any(page.startswith("reference/") for page in pages)


def test_every_page_opens_with_a_heading_and_no_error_or_request_off_the_site(
    reader: Reader, site_dir: Path
) -> None:
    failures: dict[str, list[str]] = {}
    for path in site_pages(site_dir):
        reader.page.goto(reader.url + path, wait_until="load")
        reader.page.wait_for_load_state("networkidle")
        problems = reader.take_problems()
        headings = reader.page.locator("article h1").all_inner_texts()
        if not [text for text in headings if text.strip()]:
            problems.append("no h1")
        problems += [f"image not loaded: {source}" for source in _unloaded_images(reader.page)]
        if problems:
            failures[path or "/"] = problems
    assert not failures


def test_search_for_refresh_token_finds_the_connection_page(reader: Reader) -> None:
    from playwright.sync_api import expect

    page = reader.page
    page.goto(reader.url, wait_until="load")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    meta = page.locator(".md-search-result__meta")
    # Material's search worker loads the index first ("Initializing search"): a query typed then is lost.
    expect(meta).to_have_text("Type to start searching", timeout=60_000)
    page.locator("input.md-search__input").press_sequentially(SEARCH, delay=20)
    expect(meta).to_contain_text("matching document", timeout=30_000)
    results = page.locator(".md-search-result__item a")
    hrefs = [href for href in results.evaluate_all("links => links.map(link => link.href)")]
    assert any("/connection/" in href for href in hrefs), hrefs
    assert not reader.take_problems()


def test_screenshots_of_the_home_and_remove_tags_pages(reader: Reader, tmp_path: Path) -> None:
    wanted = os.environ.get("BIGIN_DOCS_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for path, name in SCREENSHOTS.items():
        reader.page.goto(reader.url + path, wait_until="networkidle")
        reader.page.screenshot(path=str(folder / name))
        assert (folder / name).stat().st_size > 10_000  # a page, not a blank
    assert not reader.take_problems()
