"""Whether the XCom tab of a task instance shows the operator's per-record results and its summary.

The UI renders each XCom as pretty-printed JSON in a scrolling code view that only puts the visible lines in
the page, so the check asks for what a user sees first: the first record's result complete, and the summary's
counts. It compares the page's text with the values read from the REST API, so the two must agree. Spacing
is ignored: Airflow 3.2+ prints ``"id": "1"``, Airflow 3.1's JSON viewer ``"id":"1"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

RESULT_KEYS = ("id", "status", "code", "message")
SUMMARY_KEYS = ("module", "requested", "succeeded", "failed", "api_calls")


def _shown(key: str, value: Any) -> str:
    """A ``"key": value`` line as the UI's JSON view prints it."""
    return f"{json.dumps(key)}: {json.dumps(value)}"


def _squeeze(text: str) -> str:
    return "".join(text.split())


def xcom_view_problems(
    view_text: str, results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]
) -> list[str]:
    """What the XCom view fails to show; empty when it shows the results and the summary."""
    text = _squeeze(view_text)
    problems = [f"the XCom {key!r} is not listed" for key in ("return_value", "summary") if key not in text]
    if not results:
        problems.append("the operator returned no per-record results to show")
    else:
        first = results[0]
        problems += [
            f"the first record's {key} ({first[key]!r}) is not shown"
            for key in RESULT_KEYS
            if _squeeze(_shown(key, first[key])) not in text
        ]
    problems += [
        f"the summary's {key} ({summary.get(key)!r}) is not shown"
        for key in SUMMARY_KEYS
        if _squeeze(_shown(key, summary.get(key))) not in text
    ]
    return problems
