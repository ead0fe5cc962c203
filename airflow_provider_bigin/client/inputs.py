"""Normalise what a DAG hands over (ids, tag names, module) before any request is sent.

Ids arrive in many shapes: a list from Python, a comma-separated or JSON string from a template, the rows of a
SQL query. They all become a list of digit strings in first-seen order, duplicates merged. Floats are refused:
a 19-digit Bigin id does not survive a float. Errors name the position of the offending value, never the list.
"""

from __future__ import annotations

import ast
import json
import logging
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

from airflow_provider_bigin.errors import InvalidInputError

log = logging.getLogger(__name__)

# Module API names: https://www.bigin.com/developer/docs/apis/v2/remove-tags.html
MODULES: tuple[str, ...] = ("Contacts", "Pipelines", "Accounts", "Products", "Tasks", "Events", "Calls")
# The names Bigin shows in its UI (Companies) and that v1 used (Deals), mapped to the v2 API names.
MODULE_ALIASES: dict[str, str] = {"companies": "Accounts", "deals": "Pipelines"}

_DIGITS = re.compile(r"[0-9]+")
_ID_SEPARATORS = re.compile(r"[\s,;]+")
_MAX_SHOWN = 40


def _show(value: Any) -> str:
    """A short repr for messages: a bad value among thousands must not flood the log."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _parse_list_literal(text: str, what: str) -> Any:
    """A JSON array, or the Python repr of a list that a non-native Jinja template renders."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InvalidInputError(
            f"{what} looks like a list but is neither JSON nor a Python literal: {_show(text)}"
        ) from None


def _id_from_scalar(item: Any, where: str) -> str:
    if isinstance(item, bool) or item is None:
        raise InvalidInputError(f"{where} is {_show(item)}, not a record id.")
    if isinstance(item, float):
        raise InvalidInputError(
            f"{where} is the float {_show(item)}: 19-digit Bigin ids do not survive floats; "
            "pass ids as strings (in SQL, cast the id column to text)."
        )
    if isinstance(item, numbers.Integral):
        if int(item) <= 0:
            raise InvalidInputError(f"{where} is {_show(item)}: record ids are positive numbers.")
        return str(int(item))
    if isinstance(item, Decimal):
        if item.is_finite() and item == item.to_integral_value() and item > 0:
            return str(int(item))
        raise InvalidInputError(f"{where} is {_show(item)}, not a whole positive number.")
    if isinstance(item, str):
        text = item.strip()
        if _DIGITS.fullmatch(text):
            return text
        raise InvalidInputError(f"{where} is {_show(item)}: a record id is a string of digits.")
    raise InvalidInputError(f"{where} is a {type(item).__name__} ({_show(item)}), not a record id.")


def _id_from_row(item: Any, where: str) -> str:
    """One id from a list item: a scalar, a one-column row, or a dict with an id key."""
    if isinstance(item, Mapping):
        keys = [key for key in item if isinstance(key, str) and key.lower() == "id"]
        if len(keys) != 1:
            found = "several id keys" if keys else f"no 'id' key (keys: {_show(list(item)[:5])})"
            raise InvalidInputError(f"{where} is a dict with {found}; give each dict one 'id'.")
        return _id_from_scalar(item[keys[0]], f"{where}[{keys[0]!r}]")
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes, bytearray)):
        if len(item) != 1:
            raise InvalidInputError(
                f"{where} is a row of {len(item)} columns: select only the id column (one column per row)."
            )
        inner = item[0]
        if isinstance(inner, (Mapping, Sequence)) and not isinstance(inner, (str, bytes, bytearray)):
            raise InvalidInputError(f"{where} nests too deep: {_show(item)}")
        return _id_from_scalar(inner, f"{where}[0]")
    return _id_from_scalar(item, where)


# From this many ids on, duplicates are looked for in a sorted copy (8 bytes an id) rather than a dict (about
# 40): a million ids would otherwise cost more memory to de-duplicate than the whole run keeps.
_SORTED_CHECK_FROM = 100_000


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _dedupe_list(ids: list[str]) -> list[str]:
    """`ids` itself when it holds no duplicate, else its first-seen order without them."""
    if len(ids) >= _SORTED_CHECK_FROM:
        ordered = sorted(ids)
        unique = all(a != b for a, b in pairwise(ordered))
        del ordered
        if unique:
            return ids
    return list(dict.fromkeys(ids))


def normalise_record_ids(value: Any) -> list[str]:
    """Record ids as digit strings, first-seen order, duplicates merged.

    Accepts a str or int id; a list, tuple or other iterable of str/int ids; a comma-, space- or
    newline-separated string; a JSON array (or a Python list repr) in a string; SQL result rows of one column
    (``[("123",), ("456",)]``); dicts with one key named id in any case ("id", "ID", "Id"), as DictCursor
    rows and Bigin records have. Refuses floats, bools, None, non-digit strings, multi-column rows, dicts
    without an id and deeper nesting, naming the position of the first bad value.
    """
    if value is None:
        raise InvalidInputError("record_ids is None: give a list of record ids (an empty list is allowed).")
    if isinstance(value, (bytes, bytearray)):
        raise InvalidInputError("record_ids is bytes: decode it to text first.")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("[", "(")):
            return _ids_from_items(_parse_list_literal(text, "record_ids"))
        pieces = [piece for piece in _ID_SEPARATORS.split(text) if piece]
        return _dedupe(
            _id_from_scalar(piece, f"record_ids item {index}") for index, piece in enumerate(pieces)
        )
    return _ids_from_items(value)


def _ids_from_items(items: Any) -> list[str]:
    """The ids of a parsed list (or of a single value parsed out of a string)."""
    if isinstance(items, Mapping):
        return [_id_from_row(items, "record_ids")]
    if isinstance(items, Iterable) and not isinstance(items, (str, bytes, bytearray)):
        ids: list[str] = []
        append = ids.append
        for index, item in enumerate(items):
            # Fast path for the common case, a million plain digit strings or ints: the general checks
            # (abstract types, a message per position) cost more than the rest of the planning. A clean
            # string is kept as the caller's own object, not copied.
            kind = type(item)
            if kind is str:
                text = item.strip()
                if text.isascii() and text.isdigit():
                    append(text)
                    continue
            elif kind is int and item > 0:
                append(str(item))
                continue
            append(_id_from_row(item, f"record_ids[{index}]"))
        return _dedupe_list(ids)
    return [_id_from_scalar(items, "record_ids")]


def _tag_name(item: Any, where: str) -> str:
    if not isinstance(item, str):
        raise InvalidInputError(f"{where} is a {type(item).__name__} ({_show(item)}); tag names are strings.")
    name = item.strip()
    if not name:
        raise InvalidInputError(f"{where} is empty: a tag name needs at least one visible character.")
    if "," in name:
        raise InvalidInputError(
            f"{where} {_show(name)} contains a comma: Bigin separates tag names with commas, "
            "so such a tag cannot be sent."
        )
    return name


def normalise_tag_names(value: Any) -> list[str]:
    """Tag names, trimmed, first-seen order, exact duplicates merged.

    Accepts a list/tuple of strings, a comma-separated string (empty pieces such as a trailing comma are
    skipped) or a JSON array in a string. Names differing only in case are both kept: Bigin does not say
    whether tags are case-insensitive, and merging them could skip a tag that exists.
    """
    if value is None:
        raise InvalidInputError("tag_names is None: give at least one tag name.")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            parsed = _parse_list_literal(text, "tag_names")
            if not isinstance(parsed, list):
                raise InvalidInputError(f"tag_names {_show(text)} is not a list.")
            return normalise_tag_names(parsed)
        names = [piece.strip() for piece in text.split(",") if piece.strip()]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        names = [_tag_name(item, f"tag_names[{index}]") for index, item in enumerate(value)]
    else:
        raise InvalidInputError(f"tag_names is a {type(value).__name__}: give a list of strings or a string.")
    if not names:
        raise InvalidInputError("tag_names is empty: give at least one tag name.")
    return _dedupe(names)


def resolve_module(name: Any) -> str:
    """The Bigin v2 API name of a module, case-insensitive; Companies and Deals are aliases."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(
            f"module {_show(name)} is not a module name: use one of {', '.join(MODULES)}."
        )
    key = name.strip().lower()
    for module in MODULES:
        if module.lower() == key:
            return module
    if key in MODULE_ALIASES:
        api_name = MODULE_ALIASES[key]
        log.info("Module %r is called %r in the Bigin v2 API; using %r.", name, api_name, api_name)
        return api_name
    raise InvalidInputError(
        f"Unknown module {_show(name)}: use one of {', '.join(MODULES)} "
        "(Companies and Deals are accepted for Accounts and Pipelines)."
    )
