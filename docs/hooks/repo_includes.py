"""MkDocs hook: a page includes a Markdown file of the repository from one of its headings on.

`<!-- include: airflow_provider_bigin/sandbox/README.md from "## Start it" -->` stands for that file from the
line `## Start it` to its end. Used where a file has its own readers elsewhere (the sandbox's README ships in
the package) and its first lines would not fit the page. The heading is found by its text, not a line number,
so edits above it change nothing; a missing file or heading fails the build. Relative links in the included
text are rewritten from the included file's folder to the page's, and one that leaves the docs folder fails
the build too (strict would only warn about it without saying which file it came from).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

_INCLUDE = re.compile(r'^<!-- include: (?P<path>\S+) from "(?P<heading>[^"]+)" -->$', re.MULTILINE)
# [text](target) where target is relative: no scheme, not an anchor alone, not a site-absolute path.
_LINK = re.compile(r"\]\((?!https?:|mailto:|#|/)(?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def _relinked(text: str, included: Path, page: Page, docs_dir: Path) -> str:
    page_dir = (docs_dir / page.file.src_path).parent

    def relink(match: re.Match[str]) -> str:
        target = (included.parent / match["target"]).resolve()
        if not target.is_relative_to(docs_dir):
            raise PluginError(
                f"{page.file.src_path}: the included {included.name} links to {match['target']}, "
                "which is not a page of the site"
            )
        relative = posixpath.relpath(target.as_posix(), page_dir.as_posix())
        return f"]({relative}{match['anchor'] or ''})"

    return _LINK.sub(relink, text)


def _included(match: re.Match[str], page: Page, root: Path, docs_dir: Path) -> str:
    path = root / match["path"]
    if not path.is_file():
        raise PluginError(f"{page.file.src_path}: {match['path']} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    if match["heading"] not in lines:
        raise PluginError(f"{page.file.src_path}: {match['path']} has no line {match['heading']!r}")
    rest = "\n".join(lines[lines.index(match["heading"]) :])
    return _relinked(rest, path.resolve(), page, docs_dir)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    root = Path(config.config_file_path).parent.resolve()
    docs_dir = Path(config.docs_dir).resolve()
    return _INCLUDE.sub(lambda match: _included(match, page, root, docs_dir), markdown)
