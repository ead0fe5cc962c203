"""Record and tag ids in Zoho's shape: 19-digit numeric strings, larger than 2**53, so never numbers.

Source: docs/zoho-facts.md, section 4; the sample ids of Zoho's Remove Tags page (docs/zoho-facts.md,
section 6: 2445013000000402006) show the shape this copies: an organisation prefix, then a zero-padded
12-digit serial.
"""

from __future__ import annotations

from collections.abc import Container

ORG_ID_PREFIX = "2445013"
ID_DIGITS = 19


def format_id(serial: int) -> str:
    return f"{ORG_ID_PREFIX}{serial:012d}"


def is_record_id(value: str) -> bool:
    """True for a string that could be a Zoho id (digits only); existence is a separate question."""
    return value.isascii() and value.isdigit()


class IdAllocator:
    """Hands out new ids in increasing order, skipping any already in use."""

    def __init__(self, start: int, taken: Container[str] = ()) -> None:
        self._next = start
        self._taken = taken

    def allocate(self, step: int = 1) -> str:
        while True:
            self._next += step
            candidate = format_id(self._next)
            if candidate not in self._taken:
                return candidate
