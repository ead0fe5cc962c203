"""Server text scrubbed: a credential that a reply echoes is replaced by *** before the body is even parsed.

Zoho's texts (a token error's `error_description`, a whole-request `message`, a record's `message` and
`details`) reach exceptions, log lines, results and XComs. Scrubbing the raw body once, before parsing,
covers every one of them at the cost of a byte search per secret (far below the cost of parsing), and keeps
the fast path of replies.py untouched. Each secret is searched as sent and in its JSON-escaped and
URL-encoded forms, the ways a server would quote it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
# Shorter values are placeholders ("x"), not credentials; blanking them would garble every text.
MIN_SECRET_LENGTH = 8


def _forms(secret: str) -> set[bytes]:
    return {
        secret.encode(),
        json.dumps(secret)[1:-1].encode(),
        quote(secret, safe="").encode(),
    }


def scrub_body(body: bytearray, secrets: Iterable[str]) -> bytearray:
    """`body` with every form of every secret replaced by MASK; the same object when none occurs."""
    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        for form in _forms(secret):
            if form in body:
                body = body.replace(form, MASK.encode())
    return body


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every form of every secret replaced by MASK (the same search as a body's)."""
    return scrub_body(bytearray(text.encode()), secrets).decode()
