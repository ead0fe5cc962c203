"""Normalise what a DAG hands over (ids, tag names, module) before any request is sent.

Ids arrive in many shapes: a list from Python, a comma-separated or JSON string from a template, the rows of a
SQL query. They all become a list of digit strings in first-seen order, duplicates merged. Floats are refused:
a 19-digit Bigin id does not survive a float. So are values no Bigin id or tag can be (an id starting with 0
or longer than 25 digits, a tag name with a control character or longer than 100 characters; see
docs/zoho-facts.md, section 7), so that a wrong input costs no call. Errors name the position of the first bad
value and how many were bad, never the list; a value nested too deep is refused, never a RecursionError.
"""

from __future__ import annotations

import ast
import json
import logging
import numbers
import re
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
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
# Bigin ids are numbers of 19 digits in practice (docs/zoho-facts.md, sections 4 and 7): a number's digits
# never start with 0, and 25 leaves room for longer ids while refusing a pasted phone list or a hash.
MAX_ID_DIGITS = 25
_ID_LIMIT = 10**MAX_ID_DIGITS  # the smallest int of more than MAX_ID_DIGITS digits
# Zoho CRM caps tag names at 25 characters, Bigin publishes no limit (docs/zoho-facts.md, section 7): 100
# refuses only what no tag can be, such as a whole paragraph pasted in.
MAX_TAG_NAME_LENGTH = 100
# C0 controls (CR, LF, tab, NUL...), DEL and C1 controls: never part of a tag name one can type.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
_MAX_SHOWN = 40
# For values repr() cannot show: nested deeper than the recursion limit, or ints past str()'s digit limit.
_BOUNDED_REPR = reprlib.Repr()
_BOUNDED_REPR.maxlevel, _BOUNDED_REPR.maxlist, _BOUNDED_REPR.maxtuple = 3, 3, 3


def _show(value: Any) -> str:
    """A short repr for messages: a bad value among thousands must not flood the log, nor crash it."""
    try:
        text = repr(value)
    except Exception:  # RecursionError, ValueError (int too long for str), a broken __repr__
        try:
            text = _BOUNDED_REPR.repr(value)
        except Exception:
            text = f"<{type(value).__name__}>"  # an int of thousands of digits: the message says how many
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _with_count(error: InvalidInputError, bad: int, total: int, what: str) -> InvalidInputError:
    """The first bad value's error, saying how many of the values were bad (when there were several)."""
    if total == 1:
        return error
    if bad == 1:
        tail = f"1 of {total:,} {what} is refused."
    else:
        tail = f"{bad:,} of {total:,} {what} are refused; the first is shown."
    return InvalidInputError(f"{error.message} {tail}")


def _parse_list_literal(text: str, what: str) -> Any:
    """A JSON array, or the Python repr of a list that a non-native Jinja template renders."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInputError(f"{what} nests too deep to be a list of values: {_show(text)}") from None
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
        number = int(item)
        if number <= 0:
            raise InvalidInputError(f"{where} is {_show(item)}: record ids are positive numbers.")
        if number >= _ID_LIMIT:
            raise InvalidInputError(f"{where} is {_show(item)}: {_too_long(number.bit_length())}")
        return str(number)
    if isinstance(item, Decimal):
        if item.is_finite() and item == item.to_integral_value() and item > 0:
            if item >= _ID_LIMIT:  # before int(): Decimal("1e99999999") would take a gigabyte
                raise InvalidInputError(f"{where} is {_show(item)}: {_too_long(None)}")
            return str(int(item))
        raise InvalidInputError(f"{where} is {_show(item)}, not a whole positive number.")
    if isinstance(item, str):
        text = item.strip()
        if not _DIGITS.fullmatch(text):
            raise InvalidInputError(f"{where} is {_show(item)}: a record id is a string of digits.")
        if text[0] == "0":
            raise InvalidInputError(
                f"{where} is {_show(item)}: a record id is a number and never starts with 0 "
                "(Bigin's have 19 digits); was a zero-padded column or a phone number passed?"
            )
        if len(text) > MAX_ID_DIGITS:
            raise InvalidInputError(f"{where} is {_show(item)} ({len(text)} digits): {_too_long(None)}")
        return text
    raise InvalidInputError(f"{where} is a {type(item).__name__} ({_show(item)}), not a record id.")


def _too_long(bits: int | None) -> str:
    about = ""
    if bits is not None and bits > 4 * MAX_ID_DIGITS:  # too many digits to show: say about how many
        about = f"about {int(bits * 0.30103) + 1} digits, "
    return f"{about}longer than a record id can be (at most {MAX_ID_DIGITS} digits; Bigin's have 19)."


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
    """`ids` itself when it holds no duplicate, else its first-seen order without them.

    Also refuses ids that start with 0, which the fast path lets through: digit strings sort "0..." first,
    so one look at the smallest id (free in the sorted copy) replaces a test per id.
    """
    if len(ids) >= _SORTED_CHECK_FROM:
        ordered = sorted(ids)
        _refuse_leading_zeros(ids, ordered[0])
        unique = all(a != b for a, b in pairwise(ordered))
        del ordered
        if unique:
            return ids
    elif ids:
        _refuse_leading_zeros(ids, min(ids))
    return list(dict.fromkeys(ids))


def _refuse_leading_zeros(ids: list[str], smallest: str) -> None:
    if smallest[0] != "0":
        return
    first = next(index for index, text in enumerate(ids) if text[0] == "0")
    try:
        _id_from_scalar(ids[first], f"record_ids[{first}]")
    except InvalidInputError as error:
        raise _with_count(error, sum(text[0] == "0" for text in ids), len(ids), "record ids") from None


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
        return _dedupe(_checked(pieces, _id_from_scalar, "record_ids item {}", "record ids"))
    return _ids_from_items(value)


def _checked(values: list[Any], check: Callable[[Any, str], str], where: str, what: str) -> list[str]:
    """`check` applied to every value; the first refusal is raised with the count of refused values."""
    checked: list[str] = []
    for index, value in enumerate(values):
        try:
            checked.append(check(value, where.format(index)))
        except InvalidInputError as error:
            raise _counted(error, check, values[index + 1 :], len(values), what) from None
    return checked


def _counted(
    error: InvalidInputError, check: Callable[[Any, str], str], later: list[Any], total: int, what: str
) -> InvalidInputError:
    """The first refusal, with how many of the values after it `check` refuses too: all fixed at once."""
    return _with_count(error, 1 + sum(not _passes(check, value) for value in later), total, what)


def _passes(check: Callable[[Any, str], str], value: Any) -> bool:
    try:
        check(value, "")
    except InvalidInputError:
        return False
    return True


def _ids_from_items(items: Any) -> list[str]:
    """The ids of a parsed list (or of a single value parsed out of a string)."""
    if isinstance(items, Mapping):
        return [_id_from_row(items, "record_ids")]
    if isinstance(items, Iterable) and not isinstance(items, (str, bytes, bytearray)):
        ids: list[str] = []
        append = ids.append
        longest, limit = MAX_ID_DIGITS, _ID_LIMIT  # locals: a global lookup per id shows in the figures
        remaining = iter(items)
        for index, item in enumerate(remaining):
            # Fast path for the common case, a million plain digit strings or ints: the general checks
            # (abstract types, a message per position) cost more than the rest of the planning. A clean
            # string is kept as the caller's own object, not copied.
            kind = type(item)
            if kind is str:
                text = item.strip()
                if text.isascii() and text.isdigit() and len(text) <= longest:
                    append(text)  # a leading 0 is looked for once at the end, in the smallest id
                    continue
            elif kind is int and 0 < item < limit:
                append(str(item))
                continue
            try:
                append(_id_from_row(item, f"record_ids[{index}]"))
            except InvalidInputError as error:
                rest = list(remaining)
                raise _counted(error, _id_from_row, rest, index + 1 + len(rest), "record ids") from None
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
    control = _CONTROL_CHARACTER.search(name)
    if control is not None:
        raise InvalidInputError(
            f"{where} {_show(name)} contains the control character {control.group()!r} at position "
            f"{control.start()}: a tag name is one line of text (was a line break or tab pasted in?)."
        )
    if len(name) > MAX_TAG_NAME_LENGTH:
        raise InvalidInputError(
            f"{where} {_show(name)} is {len(name):,} characters long: a tag name has at most "
            f"{MAX_TAG_NAME_LENGTH} (Zoho CRM allows 25)."
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
        pieces = [piece for piece in text.split(",") if piece.strip()]
        names = _checked(pieces, _tag_name, "tag_names item {}", "tag names")
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        names = _checked(list(value), _tag_name, "tag_names[{}]", "tag names")
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
