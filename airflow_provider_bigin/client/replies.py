"""What a reply means: a whole-request refusal becomes its typed error, per-record entries become results.

Kept apart from how a request travels (transport.py), so that every reading of Zoho's replies is in one
place and can be tested on plain data. Zoho's codes and statuses: docs/zoho-facts.md, sections 1 and 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import countOf
from typing import Any, TypeVar, cast

from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.results import ERROR, SUCCESS, RecordResult, _TagsOnly
from airflow_provider_bigin.client.retrying import parse_retry_after
from airflow_provider_bigin.errors import (
    BadRequestError,
    BiginError,
    InvalidTokenError,
    PermissionDeniedError,
    RateLimitedError,
    ScopeMismatchError,
    ServerError,
    UnexpectedResponseError,
)

# Codes of a 401 that a new access token cures (Zoho CRM's token docs; docs/zoho-facts.md, section 1).
INVALID_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN"})
SCOPE_MISMATCH_CODES = frozenset({"OAUTH_SCOPE_MISMATCH"})
PERMISSION_CODES = frozenset({"NO_PERMISSION", "AUTHORIZATION_FAILED", "PERMISSION_DENIED"})

_V = TypeVar("_V")


@dataclass(frozen=True)
class ApiReply:
    """A reply that carries data: its HTTP status and its parsed JSON body."""

    status: int
    payload: Any


def is_invalid_token(status: int, payload: Any) -> bool:
    """True for the refusal that a new access token cures: Zoho's code, whatever the HTTP status.

    Bigin documents 401; other Zoho services send the same code with 400 (docs/zoho-facts.md, section 5).
    """
    return _code(payload) in INVALID_TOKEN_CODES


def reply_or_error(status: int, payload: Any, headers: Mapping[str, str], request: ApiRequest) -> ApiReply:
    """The reply as data when it carries any (2xx, or a 400 with per-record `data[]`), else its typed error.

    :param payload: the parsed JSON body; None for an empty body, Ellipsis for one that is not JSON.
    """
    if payload is not ... and (
        200 <= status < 300 or (status == 400 and isinstance(payload, Mapping) and "data" in payload)
    ):
        return ApiReply(status=status, payload=payload)
    raise error_for_reply(status, payload, headers, request)


def _code(payload: Any) -> str | None:
    return str(payload.get("code")) if isinstance(payload, Mapping) and payload.get("code") else None


def _scope_error(code: str, request: ApiRequest, status: int) -> ScopeMismatchError:
    return ScopeMismatchError(
        f"The access token lacks the scope for {request.method} {request.path} ({code}): add "
        f"{request.scope} (or a broader one such as ZohoBigin.modules.ALL) to the client's scopes in "
        "https://api-console.zoho.com, generate a new refresh token and store it in the connection.",
        scope=request.scope,
        code=code,
        http_status=status,
    )


def _access_error(status: int, code: str, said: str, request: ApiRequest) -> BiginError | None:
    """The error of a token, scope or permission refusal, or None when the reply is not one."""
    where = f"{request.method} {request.path}"
    if code in SCOPE_MISMATCH_CODES:
        return _scope_error(code, request, status)
    if status == 401:
        return InvalidTokenError(
            f"Bigin refused the access token on {where} ({said}): check that data_center and api_domain "
            "name the data centre of the Bigin account."
        )
    if code in PERMISSION_CODES or status == 403:
        return PermissionDeniedError(
            f"Bigin refused {where} ({said}): the Bigin user behind the refresh token lacks the permission; "
            "ask a Bigin administrator to grant it in the user's profile.",
            code=code or None,
            http_status=status,
        )
    return None


def error_for_reply(status: int, payload: Any, headers: Mapping[str, str], request: ApiRequest) -> BiginError:
    """The typed error for a whole-request failure (a reply that is not per-record data)."""
    body = payload if isinstance(payload, Mapping) else {}
    code = str(body.get("code") or "")
    message = str(body.get("message") or "")
    said = " ".join(part for part in (f"HTTP {status}", code) if part) + (f": {message}" if message else "")
    where = f"{request.method} {request.path}"
    if status == 429 or code == "TOO_MANY_REQUESTS":
        return RateLimitedError(
            f"Bigin rate limit on {where} ({said}); retrying later helps, and fewer concurrent calls "
            "(max_concurrency) or fewer calls per day avoid it.",
            retry_after_seconds=parse_retry_after(headers.get("Retry-After")),
            code=code or None,
            http_status=status,
        )
    if status >= 500:
        return ServerError(f"Bigin failed on {where} ({said}).", code=code or None, http_status=status)
    refusal = _access_error(status, code, said, request)
    if refusal is None and (payload is ... or 200 <= status < 400):
        refusal = UnexpectedResponseError(
            f"Bigin answered {where} with HTTP {status} and a body that is not its JSON: check that "
            "api_domain points at a Bigin API server.",
            http_status=status,
        )
    return refusal or BadRequestError(
        f"Bigin refused {where} ({said}): the request is malformed (module, URL or parameters); this "
        "is a bug if the inputs were valid, please report it.",
        code=code or None,
        http_status=status,
    )


# --- per-record entries ---------------------------------------------------------------------------


class SharedValues:
    """One copy of each status, code, message and tag tuple that replies repeat, shared by the results.

    A million success entries say the same few strings; parsed, each is a string of its own. One instance
    serves one run (threads may share it: a lost race only keeps a second copy). Bounded, so that replies
    whose messages all differ cannot make it grow without end.
    """

    __slots__ = ("_values",)
    MAX_VALUES = 4096

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, value: _V) -> _V:
        shared = self._values.get(value)
        if shared is not None:
            return cast("_V", shared)
        if len(self._values) < self.MAX_VALUES:
            self._values[value] = value
        return value


def _entry_id(entry: Mapping[str, Any]) -> str | None:
    details = entry.get("details")
    if isinstance(details, Mapping):
        value = details.get("id")
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


#: How deep a record's `details` may nest (Bigin's are 2 levels deep): deeper ones are not kept, since an XCom
#: push or a results file would meet Python's recursion limit serialising them, long after the reply was read.
MAX_DETAILS_DEPTH = 32


def _depth_over(value: Any, limit: int) -> bool:
    """Whether `value` nests lists or dicts more than `limit` deep; iterative, so any depth is safe."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _kept_details(details: Mapping[str, Any]) -> dict[str, Any]:
    if _depth_over(details, MAX_DETAILS_DEPTH):
        return {"details_dropped": f"nested more than {MAX_DETAILS_DEPTH} levels deep"}
    return dict(details)


def _compact_details(details: Any, record_id: str, shared: SharedValues) -> dict[str, Any] | _TagsOnly | None:
    """The details of an entry, as a tuple of tags or None when they only repeat the id (and tags)."""
    if type(details) is not dict:
        return _kept_details(details) if isinstance(details, Mapping) else {}
    size = len(details)
    if details.get("id") != record_id or type(details["id"]) is not str:
        return _kept_details(details)
    if size == 1:
        return None
    tags = details.get("tags")
    if size == 2 and type(tags) is list and all(type(tag) is str for tag in tags):
        return shared.get(tuple(shared.get(tag) for tag in tags))
    return _kept_details(details)


def _entry_result(entry: Mapping[str, Any], record_id: str, shared: SharedValues) -> RecordResult:
    status = entry.get("status")
    return RecordResult._compact(
        record_id,
        SUCCESS if status == SUCCESS else ERROR,
        shared.get(str(entry.get("code") or ("SUCCESS" if status == SUCCESS else "UNKNOWN"))),
        shared.get(str(entry.get("message") or "")),
        _compact_details(entry.get("details"), record_id, shared),
    )


def parse_record_results(
    payload: Any, ids_sent: Sequence[str], shared: SharedValues | None = None
) -> dict[str, RecordResult]:
    """The results a reply gives, keyed by id; ids the reply does not mention are absent.

    Entries are matched by `details.id`; when no entry names its id and there are as many entries as ids
    sent, they are matched by position (the single-record reply may omit the id). An entry naming an id that
    was not sent, or an id-less entry that cannot be placed, raises UnexpectedResponseError. If an id appears
    twice, an error entry wins over a success one. Results hold the id strings of `ids_sent`, and the
    strings of `shared` (one per call when not given).
    """
    if shared is None:
        shared = SharedValues()
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if type(data) is list:
        results = _results_of_named_entries(data, ids_sent, shared)
        if results is not None:
            return results
    return _results_of_any_entries(data, ids_sent, shared)


def _results_of_named_entries(
    data: list[Any], ids_sent: Sequence[str], shared: SharedValues
) -> dict[str, RecordResult] | None:
    """The results when every entry is a dict naming an id that was sent, as in a real reply; else None.

    One pass over the entries. An entry that says what the last plain one said (the same status, code and
    message, and details of the id alone or of the id and the same tag names, all plain strings) reuses the
    values that one became; any other goes through `_entry_result`. None leaves the reply to
    `_results_of_any_entries`, which places id-less entries by position or says what is wrong: every result
    made here is the one it would make.
    """
    sent = dict(zip(ids_sent, ids_sent, strict=False))  # ids_sent's own strings, for the results
    results: dict[str, RecordResult] = {}
    compact = RecordResult._compact
    # The last plain entry: what it said, the size of its details (0: none seen yet) and its tag list.
    said_status = said_code = said_message = ""
    said_size, said_tags = 0, None
    # What it became.
    status = code = message = ""
    stored: dict[str, Any] | _TagsOnly | None = None
    details: Any
    entry_id: Any
    for entry in data:
        if type(entry) is not dict:
            return None
        details = entry.get("details")
        entry_id = details.get("id") if type(details) is dict else None
        plain_id = type(entry_id) is str  # then details is a dict holding it
        if not plain_id and (entry_id := _entry_id(entry)) is None:
            return None
        record_id = sent.get(entry_id)
        if record_id is None:
            return None
        raw_status, raw_code, raw_message = entry.get("status"), entry.get("code"), entry.get("message")
        if (
            plain_id
            and len(details) == said_size
            and raw_status == said_status
            and raw_code == said_code
            and raw_message == said_message
            and type(raw_status) is str
            and type(raw_code) is str
            and type(raw_message) is str
            and (said_size == 1 or _same_tags(details.get("tags"), said_tags))
        ):
            result = compact(record_id, status, code, message, stored)
        else:
            result = _entry_result(entry, record_id, shared)
            said_size = 0
            if type(raw_status) is str and type(raw_code) is str and type(raw_message) is str:
                said_status, said_code, said_message = raw_status, raw_code, raw_message
                status, code, message, stored = result.status, result.code, result.message, result._details
                if stored is None:
                    said_size = 1
                elif type(stored) is tuple:
                    said_size, said_tags = 2, details["tags"]
        previous = results.setdefault(record_id, result)
        if previous is not result and previous.ok and not result.ok:
            results[record_id] = result
    return results


def _same_tags(tags: Any, known: Any) -> bool:
    """True when `tags` is a list of plain strings equal to `known` (one of them)."""
    return type(tags) is list and tags == known and countOf(map(type, tags), str) == len(tags)


def _results_of_any_entries(
    data: Any, ids_sent: Sequence[str], shared: SharedValues
) -> dict[str, RecordResult]:
    """Any reply: entries placed by id or by position, or UnexpectedResponseError saying why they cannot."""
    if not isinstance(data, list) or not all(isinstance(entry, Mapping) for entry in data):
        raise UnexpectedResponseError("The reply has no data[] list of records, so no record can be settled.")
    sent = {record_id: record_id for record_id in ids_sent}
    entry_ids = [_entry_id(entry) for entry in data]
    if all(entry_id is None for entry_id in entry_ids) and len(data) == len(ids_sent):
        entry_ids = list(ids_sent)
    results: dict[str, RecordResult] = {}
    for position, (entry, entry_id) in enumerate(zip(data, entry_ids, strict=True)):
        if entry_id is None:
            raise UnexpectedResponseError(f"data[{position}] names no record id, so it cannot be placed.")
        record_id = sent.get(entry_id)
        if record_id is None:
            raise UnexpectedResponseError(f"data[{position}] is about record {entry_id}, which was not sent.")
        result = _entry_result(entry, record_id, shared)
        previous = results.get(record_id)
        if previous is None or (previous.ok and not result.ok):
            results[record_id] = result
    return results
