"""Per-record results: what Bigin said about each record, in input order, and a summary.

Transport success is not record success: a 200, 207 or 400 reply carries one `data[]` entry per record,
and each entry is read. Everything here is plain data that serialises to JSON (it goes to XCom) and holds
no token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from airflow_provider_bigin.errors import UnexpectedResponseError

SUCCESS = "success"
ERROR = "error"

# Codes of this provider's own making, for records that Bigin gave no final word on.
NOT_ATTEMPTED = "NOT_ATTEMPTED"  # never sent: the run stopped first
SERVER_ERROR = "SERVER_ERROR"  # 5xx until retries ran out
RATE_LIMITED = "RATE_LIMITED"  # 429 until retries ran out
TRANSPORT_ERROR = "TRANSPORT_ERROR"  # no reply until retries ran out
MISSING_RESULT = "MISSING_RESULT"  # replies never mentioned the record
UNEXPECTED_RESPONSE = "UNEXPECTED_RESPONSE"  # the reply for the record could not be read
DRY_RUN = "DRY_RUN"  # planned, not sent

# Per-record codes worth sending again: Zoho CRM's codes for a server fault or a limit inside a bulk reply
# (unconfirmed for Bigin; https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html).
TRANSIENT_RECORD_CODES = frozenset({"INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "TOO_MANY_REQUESTS"})


# A stored `details` of this type stands for {"id": <the result's id>, "tags": list(<the tuple>)}: a
# million results then share one tuple of tag names instead of each holding a dict, a list and strings.
_TagsOnly = tuple[str, ...]
_V = TypeVar("_V")
# A stored `details` of None stands for {"id": <the result's id>}.


class RecordResult:
    """Bigin's word on one record: status "success" or "error", Zoho's code and message, and details.

    Frozen, compared and hashed like a dataclass of (id, status, code, message, details), `details` left out
    of the hash. Slotted, and when details only repeat the id (and tags) they are kept as a shared tuple and
    rebuilt on access: a run over a million records keeps a million of these.
    """

    __slots__ = ("_details", "code", "id", "message", "status")

    if TYPE_CHECKING:  # read-only to type checkers, as the frozen dataclass it replaces was

        @property
        def id(self) -> str: ...
        @property
        def status(self) -> str: ...
        @property
        def code(self) -> str: ...
        @property
        def message(self) -> str: ...

    _details: dict[str, Any] | _TagsOnly | None

    def __init__(
        self, id: str, status: str, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        setter = object.__setattr__
        setter(self, "id", id)
        setter(self, "status", status)
        setter(self, "code", code)
        setter(self, "message", message)
        setter(self, "_details", {} if details is None else details)

    @classmethod
    def _compact(
        cls, id: str, status: str, code: str, message: str, details: dict[str, Any] | _TagsOnly | None
    ) -> RecordResult:
        """A result whose details are a dict (not copied), a tuple of tags or None (see `_TagsOnly`)."""
        result = cls.__new__(cls)
        setter = object.__setattr__
        setter(result, "id", id)
        setter(result, "status", status)
        setter(result, "code", code)
        setter(result, "message", message)
        setter(result, "_details", details)
        return result

    @property
    def details(self) -> dict[str, Any]:
        stored = self._details
        if type(stored) is dict:
            return stored
        if stored is None:
            return {"id": self.id}
        return {"id": self.id, "tags": list(stored)}

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[str, str, str, str, dict[str, Any]]:
        return (self.id, self.status, self.code, self.message, self.details)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, RecordResult)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.id, self.status, self.code, self.message))

    def __repr__(self) -> str:
        return (
            f"RecordResult(id={self.id!r}, status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, details={self.details!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (RecordResult, (self.id, self.status, self.code, self.message, self.details))

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS

    @property
    def transient(self) -> bool:
        """True when sending the record again may give a different answer."""
        return not self.ok and self.code in TRANSIENT_RECORD_CODES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class OutcomeSummary:
    """Counts for one run; `api_calls` counts HTTP requests to the Bigin API, `retries` the re-sent ones."""

    action: str
    module: str
    tags: tuple[str, ...]
    requested: int
    succeeded: int
    failed: int
    api_calls: int
    retries: int
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "module": self.module,
            "tags": list(self.tags),
            "requested": self.requested,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "api_calls": self.api_calls,
            "retries": self.retries,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class TagOutcome:
    """One result per distinct id, in input order, and the summary."""

    results: tuple[RecordResult, ...]
    summary: OutcomeSummary

    @property
    def failed(self) -> tuple[RecordResult, ...]:
        return tuple(result for result in self.results if not result.ok and result.code != DRY_RUN)

    @property
    def succeeded(self) -> tuple[RecordResult, ...]:
        return tuple(result for result in self.results if result.ok)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [result.to_dict() for result in self.results]

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(), "results": self.to_dicts()}


@dataclass(frozen=True)
class BatchReport:
    """Progress after one call finished: its 1-based index among `total`, and how its records fared."""

    index: int
    total: int
    size: int
    succeeded: int
    failed: int


def _entry_id(entry: Mapping[str, Any]) -> str | None:
    details = entry.get("details")
    if isinstance(details, Mapping):
        value = details.get("id")
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


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


def _compact_details(details: Any, record_id: str, shared: SharedValues) -> dict[str, Any] | _TagsOnly | None:
    """The details of an entry, as a tuple of tags or None when they only repeat the id (and tags)."""
    if type(details) is not dict:
        return dict(details) if isinstance(details, Mapping) else {}
    size = len(details)
    if details.get("id") != record_id or type(details["id"]) is not str:
        return dict(details)
    if size == 1:
        return None
    tags = details.get("tags")
    if size == 2 and type(tags) is list and all(type(tag) is str for tag in tags):
        return shared.get(tuple(shared.get(tag) for tag in tags))
    return dict(details)


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
