"""Per-record results: what Bigin said about each record, in input order, and a summary.

Transport success is not record success: a 200, 207 or 400 reply carries one `data[]` entry per record,
and each entry is read. Everything here is plain data that serialises to JSON (it goes to XCom) and holds
no token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class RecordResult:
    """Bigin's word on one record: status "success" or "error", Zoho's code and message, and details."""

    id: str
    status: str
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict, hash=False)

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


def _entry_result(entry: Mapping[str, Any], record_id: str) -> RecordResult:
    details = entry.get("details")
    status = entry.get("status")
    return RecordResult(
        id=record_id,
        status=SUCCESS if status == SUCCESS else ERROR,
        code=str(entry.get("code") or ("SUCCESS" if status == SUCCESS else "UNKNOWN")),
        message=str(entry.get("message") or ""),
        details=dict(details) if isinstance(details, Mapping) else {},
    )


def parse_record_results(payload: Any, ids_sent: Sequence[str]) -> dict[str, RecordResult]:
    """The results a reply gives, keyed by id; ids the reply does not mention are absent.

    Entries are matched by `details.id`; when no entry names its id and there are as many entries as ids
    sent, they are matched by position (the single-record reply may omit the id). An entry naming an id that
    was not sent, or an id-less entry that cannot be placed, raises UnexpectedResponseError. If an id appears
    twice, an error entry wins over a success one.
    """
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list) or not all(isinstance(entry, Mapping) for entry in data):
        raise UnexpectedResponseError("The reply has no data[] list of records, so no record can be settled.")
    sent = set(ids_sent)
    entry_ids = [_entry_id(entry) for entry in data]
    if all(entry_id is None for entry_id in entry_ids) and len(data) == len(ids_sent):
        entry_ids = list(ids_sent)
    results: dict[str, RecordResult] = {}
    for position, (entry, entry_id) in enumerate(zip(data, entry_ids, strict=True)):
        if entry_id is None:
            raise UnexpectedResponseError(f"data[{position}] names no record id, so it cannot be placed.")
        if entry_id not in sent:
            raise UnexpectedResponseError(f"data[{position}] is about record {entry_id}, which was not sent.")
        result = _entry_result(entry, entry_id)
        previous = results.get(entry_id)
        if previous is None or (previous.ok and not result.ok):
            results[entry_id] = result
    return results
