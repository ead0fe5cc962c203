"""What counts as a whole number where a caller sets a limit: ids per call, concurrency, retries, max_records.

One answer for every such setting, so that `True`, `2.5` or `"4"` mean the same everywhere. Python code must
pass an int; a connection extra is text from a form or JSON, so there "4" and 4.0 are accepted too. Range and
wording stay with each caller, which knows which field a user has to fix.
"""

from __future__ import annotations


def whole_number(value: object, *, from_text: bool = False) -> int | None:
    """The value as an int, or None when it is not a whole number (a bool never is).

    :param from_text: also accept a digit string and an integral float, as connection extras hold them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if from_text and isinstance(value, float) and value.is_integer():
        return int(value)
    if from_text and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None
