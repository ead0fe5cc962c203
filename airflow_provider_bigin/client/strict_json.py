"""JSON read strictly: what json.loads accepts beyond JSON, or cannot read at all, is one NotJsonError.

json.loads takes NaN and Infinity (not JSON), turns 1e999 into an infinite float, raises RecursionError on
arrays nested a few thousand deep and ValueError on integers longer than Python's int-string limit. A reply
is Zoho's (or a proxy's) text, not the program's, so every one of these is a reply that is not Bigin's JSON,
and says why in a few words, never quoting the body (it may echo a credential).
"""

from __future__ import annotations

import json
import math
from typing import Any


class NotJsonError(ValueError):
    """The body is not strict JSON; the message says what it holds instead, without quoting it."""


def _refuse_constant(name: str) -> Any:
    raise NotJsonError(f"{name}, which is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotJsonError("a number too large for a float")
    return number


def loads_strict(body: bytes | bytearray | str) -> Any:
    """The parsed body; NotJsonError for text that is not UTF-8 JSON with finite numbers and sane depth."""
    try:
        text = body if isinstance(body, str) else body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotJsonError("bytes that are not UTF-8") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except NotJsonError:
        raise
    except RecursionError:
        raise NotJsonError("arrays or objects nested too deep to read") from None
    except json.JSONDecodeError as error:
        raise NotJsonError(f"text that is not JSON (malformed at character {error.pos})") from None
    except ValueError:  # an integer past sys.get_int_max_str_digits()
        raise NotJsonError("a number too long to read") from None
