"""Per-record results: what Bigin said about each record, in input order, and a summary.

Plain data only, importing nothing else of the package: it goes to XCom, so it serialises to JSON and holds
no token. How a reply becomes these results is replies.py's business; how a run assembles them, runner.py's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from typing import TYPE_CHECKING, Any, Protocol

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


def to_json_lines(results: Iterable[RecordResult]) -> str:
    """The results as JSON Lines: each line is the JSON of one `to_dict()`, the shape of the XCom's records.

    A million lines through json.dumps take seconds; results that share their status, code, message and
    tags (almost all of a large run) share one encoded template here, and only the id is filled in.
    """
    templates: dict[tuple[str, str, str, _TagsOnly | None], tuple[str, str]] = {}
    lines: list[str] = []
    for result in results:
        stored = result._details
        record_id = result.id
        if (type(stored) is tuple or stored is None) and record_id.isascii() and record_id.isdigit():
            key = (result.status, result.code, result.message, stored)
            template = templates.get(key)
            if template is None:
                template = templates[key] = _line_template(*key)
            lines.append(f'{{"id":"{record_id}"{template[0]}{record_id}{template[1]}')
        else:
            lines.append(json.dumps(result.to_dict(), separators=(",", ":")) + "\n")
    return "".join(lines)


def _line_template(status: str, code: str, message: str, tags: _TagsOnly | None) -> tuple[str, str]:
    """The JSON around the two places a digit id goes: after `"details":{"id":"` and before the tail."""
    dumps = json.dumps
    middle = f',"status":{dumps(status)},"code":{dumps(code)},"message":{dumps(message)},"details":{{"id":"'
    tail = '"}}\n' if tags is None else f'","tags":{dumps(list(tags), separators=(",", ":"))}}}}}\n'
    return middle, tail


def failed_by_code(results: Iterable[RecordResult]) -> tuple[tuple[str, int], ...]:
    """Failed records per code, most frequent first (NOT_ATTEMPTED included, dry-run entries not)."""
    counts = Counter(result.code for result in results if not result.ok and result.code != DRY_RUN)
    return tuple(counts.most_common())


#: The summary's keys, in the order the XCom and `to_dict()` give them.
SUMMARY_KEYS = (
    "action",
    "module",
    "tags",
    "requested",
    "succeeded",
    "failed",
    "failed_by_code",
    "api_calls",
    "retries",
    "dry_run",
)


@dataclass(frozen=True)
class OutcomeSummary(Mapping[str, Any]):
    """Counts for one run; `api_calls` counts HTTP requests to the Bigin API, `retries` the re-sent ones.

    A read-only mapping as well, with the keys of the operator's ``summary`` XCom (which adds only what
    concerns XCom: ``return_records``, ``records_returned``, ``results_path`` ...), so that code written
    against the hook reads the task's summary unchanged: ``summary["failed_by_code"]``.
    """

    action: str
    module: str
    tags: tuple[str, ...]
    requested: int
    succeeded: int
    failed: int
    api_calls: int
    retries: int
    dry_run: bool = False
    failed_by_code: tuple[tuple[str, int], ...] = ()  # (code, records), most frequent first

    def to_dict(self) -> dict[str, Any]:
        return {key: self[key] for key in SUMMARY_KEYS}

    def __getitem__(self, key: str) -> Any:
        if key not in SUMMARY_KEYS:
            raise KeyError(key)
        value = getattr(self, key)
        if key == "tags":
            return list(value)
        if key == "failed_by_code":
            return dict(value)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(SUMMARY_KEYS)

    def __len__(self) -> int:
        return len(SUMMARY_KEYS)


@dataclass(frozen=True)
class TagOutcome:
    """The summary and the results: one per distinct id in input order, or only the failed ones.

    A run given a sink hands every result to it as calls settle and keeps only the failed ones here
    (`all_results` False), so that a million records cost counts, not a million objects.
    """

    results: tuple[RecordResult, ...]
    summary: OutcomeSummary
    all_results: bool = True

    @property
    def failed(self) -> tuple[RecordResult, ...]:
        return tuple(result for result in self.results if not result.ok and result.code != DRY_RUN)

    @property
    def succeeded(self) -> tuple[RecordResult, ...]:
        """The succeeded results; empty when a sink took them (`all_results` False)."""
        return tuple(result for result in self.results if result.ok)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [result.to_dict() for result in self.results]

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(), "results": self.to_dicts()}


class ResultSink(Protocol):
    """Where a run hands each settled id chunk's results, in the order chunks settle: any such callable."""

    def __call__(self, results: Sequence[RecordResult], /) -> None: ...


@dataclass(frozen=True)
class BatchReport:
    """Progress after one call finished: its 1-based index among `total`, and how its records fared."""

    index: int
    total: int
    size: int
    succeeded: int
    failed: int
