"""MkDocs hook: the Sphinx `.. code-block:: python` line of a docstring is not shown as text.

The package's docstrings follow Airflow's providers (Sphinx fields, a `.. code-block:: python` example);
mkdocstrings renders them as Markdown, where the example's indented lines are already a code block and the
directive line above it would be a stray paragraph.
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

_DIRECTIVE = re.compile(r"<p>\.\. code-block:: *\w*</p>\n?")


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return _DIRECTIVE.sub("", html)
