from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest

from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.replies import (
    SharedValues,
    _results_of_any_entries,
    _results_of_named_entries,
    error_for_reply,
    parse_record_results,
)
from airflow_provider_bigin.client.results import RecordResult
from airflow_provider_bigin.errors import (
    BadRequestError,
    InvalidTokenError,
    PermissionDeniedError,
    RateLimitedError,
    ScopeMismatchError,
    ServerError,
    UnexpectedResponseError,
)

REQUEST = ApiRequest(
    "POST", "/bigin/v2/Contacts/actions/remove_tags", scope="ZohoBigin.modules.contacts.WRITE"
)


def body(code: str, message: str = "m") -> dict[str, Any]:
    return {"code": code, "details": {}, "message": message, "status": "error"}


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (429, body("TOO_MANY_REQUESTS"), RateLimitedError),
        (500, body("INTERNAL_ERROR"), ServerError),
        (502, ..., ServerError),  # a gateway's HTML page
        (401, body("OAUTH_SCOPE_MISMATCH"), ScopeMismatchError),
        (401, body("AUTHENTICATION_FAILURE"), InvalidTokenError),
        (403, body("NO_PERMISSION"), PermissionDeniedError),
        (403, body("AUTHORIZATION_FAILED"), PermissionDeniedError),
        (400, body("INVALID_MODULE"), BadRequestError),
        (404, body("INVALID_URL_PATTERN"), BadRequestError),
        (405, body("INVALID_REQUEST_METHOD"), BadRequestError),
        (200, ..., UnexpectedResponseError),
        (302, None, UnexpectedResponseError),
    ],
)
def test_whole_request_failures_map_to_one_class_per_meaning(status: int, payload: Any, error: type) -> None:
    assert type(error_for_reply(status, payload, {}, REQUEST)) is error


def test_rate_limit_carries_retry_after_and_scope_errors_name_the_scope() -> None:
    limited = error_for_reply(429, body("TOO_MANY_REQUESTS"), {"Retry-After": "12"}, REQUEST)
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after_seconds == 12.0
    scope = error_for_reply(401, body("OAUTH_SCOPE_MISMATCH"), {}, REQUEST)
    assert isinstance(scope, ScopeMismatchError)
    assert scope.scope == "ZohoBigin.modules.contacts.WRITE"
    assert "add ZohoBigin.modules.contacts.WRITE" in str(scope)


class _Text(str):
    """A string that is not a plain str, which parsed JSON never holds."""


class _Odd(str):
    """A string that is not a plain str, and that str() reads differently."""

    def __str__(self) -> str:
        return f"odd {super().__str__()}"


class _List(list[Any]):
    """A list that is not a plain list."""


def _entry(
    record_id: Any, status: Any = "success", code: Any = "SUCCESS", message: Any = "m", **details: Any
) -> Any:
    return {"code": code, "details": {"id": record_id, **details}, "message": message, "status": status}


# The common entry first; then entries that equal it, or the id-only error entry, in all but a type; then
# entries that differ from it in one way each.
_SHAPES: list[Callable[[str], Any]] = [
    lambda i: _entry(i, tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, tags=["VIP", _Text("Newsletter")]),
    lambda i: _entry(i, tags=_List(["VIP", "Newsletter"])),
    lambda i: _entry(i, tags=("VIP", "Newsletter")),
    lambda i: _entry(i, _Odd("success"), tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, code=_Odd("SUCCESS"), tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, message=_Odd("m"), tags=["VIP", "Newsletter"]),
    lambda i: _entry(_Text(i), tags=["VIP", "Newsletter"]),
    lambda i: _entry(int(i), tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, "error", "INVALID_DATA"),
    lambda i: _entry(_Text(i), "error", "INVALID_DATA"),
    lambda i: _entry(int(i), "error", "INVALID_DATA"),
    lambda i: _entry(i, "error", _Odd("INVALID_DATA")),
    lambda i: _entry(i, "error", tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, message="other", tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, tags=["VIP", "Newsletter"], extra=1),
    lambda i: _entry(i, tags=["VIP", 1]),
    lambda i: _entry(i, tags=["VIP"]),
    lambda i: _entry(i, tags=[]),
    lambda i: _entry(i, "error", "INTERNAL_ERROR"),
    lambda i: _entry(i, code=None, tags=["VIP", "Newsletter"]),
    lambda i: _entry(i, code=1, message=None),
    lambda i: _entry(i, code=True, message=None),
    lambda i: {"status": "success", "details": MappingProxyType({"id": i, "tags": ["VIP", "Newsletter"]})},
    lambda i: {**_entry(i), "details": {"tags": ["VIP", "Newsletter"], "id": i}},
]


def _read(
    read: Callable[[list[Any], list[str]], dict[str, RecordResult]], data: list[Any], ids: list[str]
) -> Any:
    """What a reading gives, for comparison: each result's fields and stored form, or the error it raised."""
    try:
        results = read(data, ids)
    except UnexpectedResponseError as error:
        return str(error)
    return [
        (key, result.id, result, repr(result.details), type(result._details))
        for key, result in results.items()
    ]


def _one_pass(data: list[Any], ids: list[str]) -> dict[str, RecordResult]:
    return parse_record_results({"data": data}, ids)


def _general(data: list[Any], ids: list[str]) -> dict[str, RecordResult]:
    return _results_of_any_entries(data, ids, SharedValues())


@pytest.mark.parametrize("first", range(len(_SHAPES)))
def test_a_reply_read_in_one_pass_gives_what_the_general_reading_gives(first: int) -> None:
    # `first`, then every shape twice: each may reuse what the entry before it became.
    order = [shape for other in range(len(_SHAPES)) for shape in (first, other, other)]
    ids = [str(n) for n in range(1, len(order) + 1)]
    data = [_SHAPES[shape](record_id) for shape, record_id in zip(order, ids, strict=True)]
    for entries, sent in ((data, ids), ([data[0], *data], ids), (data[1:], ids[1:])):
        assert _results_of_named_entries(entries, sent, SharedValues()) is not None  # read in one pass
        assert _read(_one_pass, entries, sent) == _read(_general, entries, sent)
    # A second entry for an id: an error wins over a success.
    for again in (_entry(ids[0], "error", "INVALID_DATA"), _entry(ids[1])):
        assert _read(_one_pass, [*data, again], ids) == _read(_general, [*data, again], ids)
    # An entry that names no id, or one that was not sent: the general reading says why.
    for odd in ({"status": "success"}, _entry("0")):
        assert _read(_one_pass, [*data, odd], ids) == _read(_general, [*data, odd], ids)


def test_details_nested_past_the_limit_are_not_kept_so_the_results_still_serialise() -> None:
    import json

    from airflow_provider_bigin.client.replies import MAX_DETAILS_DEPTH
    from airflow_provider_bigin.client.strict_json import loads_strict

    deep = "[" * 900 + "]" * 900  # parses (json allows about 990 levels), would not serialise deep in a stack
    body = (
        '{"data": [{"code": "INVALID_DATA", "status": "error", "message": "m", '
        f'"details": {{"id": "2445013000000402006", "why": {deep}}}}}]}}'
    )
    results = parse_record_results(loads_strict(body.encode()), ["2445013000000402006"])
    result = results["2445013000000402006"]
    assert result.details == {"details_dropped": f"nested more than {MAX_DETAILS_DEPTH} levels deep"}
    json.dumps(result.to_dict())
    shallow = '{"data": [{"code": "X", "status": "error", "message": "m", "details": {"a": [[{"b": 1}]]}}]}'
    kept = parse_record_results(loads_strict(shallow.encode()), ["1"])["1"]
    assert kept.details == {"a": [[{"b": 1}]]}
