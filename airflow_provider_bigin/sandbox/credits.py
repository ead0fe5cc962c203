"""API credits: what each call would cost against a Bigin organisation's daily allowance.

Source: https://www.zoho.com/bigin/developer/docs/apis/api-limits.html (via docs/zoho-facts.md,
sections 1 and 4): most calls cost 1 credit; adding or removing tags on many records (up to 500) costs "at
most 10 credits". The sandbox's model of the scale in between: 1 credit per 50 records, at least 1, at most
10. Only calls the API processes are charged: a whole-request error, a fault or a 429 costs nothing.
"""

from __future__ import annotations

import math

BULK_TAG_ENDPOINTS = frozenset({"remove_tags", "add_tags"})
RECORDS_PER_CREDIT = 50
MAX_CREDITS_PER_BULK_TAG_CALL = 10


def credits_for(endpoint: str, record_count: int = 1) -> int:
    if endpoint in BULK_TAG_ENDPOINTS:
        return max(1, min(MAX_CREDITS_PER_BULK_TAG_CALL, math.ceil(record_count / RECORDS_PER_CREDIT)))
    return 1
