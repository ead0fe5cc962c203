"""What a tag operator does once some records failed: fail the task, warn, or carry on quietly.

A per-record failure is data until this policy decides. With "fail", the task fails only after every call
ran and both XComs were pushed, so that a downstream task (or a human) sees exactly which records to look at.
Whether Airflow should retry the task depends on the codes: a retry cannot fix an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_provider_bigin.client.plurals import noun_for
from airflow_provider_bigin.client.results import (
    MISSING_RESULT,
    NOT_ATTEMPTED,
    RATE_LIMITED,
    SERVER_ERROR,
    TRANSIENT_RECORD_CODES,
    TRANSPORT_ERROR,
    UNEXPECTED_RESPONSE,
    RecordResult,
    failed_by_code,
)
from airflow_provider_bigin.errors import (
    BadRequestError,
    BiginError,
    ConnectionConfigError,
    InvalidClientError,
    InvalidInputError,
    PermissionDeniedError,
    RevokedRefreshTokenError,
    ScopeMismatchError,
)
from airflow_provider_bigin.version_compat import AirflowException, AirflowFailException

FAIL, WARN, IGNORE = "fail", "warn", "ignore"
PARTIAL_FAILURE_POLICIES = (FAIL, WARN, IGNORE)
#: Failed records named one by one in a message; the rest are counted per code.
FAILURES_SHOWN = 20
#: Codes whose first message the final error quotes, and how much of each.
REASONS_SHOWN = 3
REASON_CHARS = 300
#: Codes after which running the task again may succeed: the client gave up on a transient fault, or the
#: record was never sent. Any other code (INVALID_DATA for an unknown id, say) will not change on a retry.
RETRYABLE_CODES = frozenset(
    {SERVER_ERROR, RATE_LIMITED, TRANSPORT_ERROR, NOT_ATTEMPTED, MISSING_RESULT, UNEXPECTED_RESPONSE}
    | TRANSIENT_RECORD_CODES
)

#: Errors that a task retry cannot fix: a human has to change the DAG, the connection or Bigin's settings.
PERMANENT_ERRORS: tuple[type[BiginError], ...] = (
    InvalidInputError,
    ConnectionConfigError,
    InvalidClientError,
    RevokedRefreshTokenError,
    ScopeMismatchError,
    PermissionDeniedError,
    BadRequestError,
)


class PartialFailureError(AirflowException):
    """Some records failed under ``on_partial_failure="fail"``; some of them may pass on a task retry."""

    def __init__(self, message: str, *, failed: int) -> None:
        super().__init__(message)
        self.failed = failed


class RecordsRefusedError(PartialFailureError, AirflowFailException):
    """Some records failed for good (e.g. ids Bigin does not know): the task fails without retrying."""


def check_partial_failure_policy(value: object) -> str:
    """The policy, or a clear error at DAG-parse time."""
    if not isinstance(value, str) or value.strip().lower() not in PARTIAL_FAILURE_POLICIES:
        raise InvalidInputError(
            f"on_partial_failure must be one of {', '.join(repr(p) for p in PARTIAL_FAILURE_POLICIES)}, "
            f"not {value!r}."
        )
    return value.strip().lower()


def describe_failures(failed: Sequence[RecordResult], requested: int) -> str:
    """A message naming at most FAILURES_SHOWN failed ids with their codes, then counts per code.

    Thousands of failures must not make a log line of megabytes.
    """
    shown = ", ".join(f"{result.id} ({result.code})" for result in failed[:FAILURES_SHOWN])
    text = f"{len(failed)} of {requested} {noun_for(requested, 'record')} failed: {shown}"
    if len(failed) > FAILURES_SHOWN:
        per_code = ", ".join(f"{code} x{count}" for code, count in failed_by_code(failed))
        text += f" ... and {len(failed) - FAILURES_SHOWN} more (all failures by code: {per_code})"
    return text + "."


def failure_reasons(failed: Sequence[RecordResult]) -> str:
    """The first message of each of the REASONS_SHOWN most frequent codes, each cut to REASON_CHARS.

    So that the task's final error names why records failed (a dead host, retries that ran out), not only
    the XCom; the messages are the results' own, which never carry a secret.
    """
    first: dict[str, str] = {}
    for result in failed:
        first.setdefault(result.code, result.message)
    codes = [code for code, _ in failed_by_code(failed)[:REASONS_SHOWN]]
    reasons = []
    for code in codes:
        message = first[code]
        if len(message) > REASON_CHARS:
            message = message[: REASON_CHARS - 3].rstrip() + "..."
        reasons.append(f"{code}: {message}" if message else code)
    return "; ".join(reasons)


def partial_failure_error(failed: Sequence[RecordResult], requested: int) -> PartialFailureError:
    """The error that fails the task; a retryable one only if some failure may pass on a retry."""
    message = (
        describe_failures(failed, requested)
        + f" Why: {failure_reasons(failed)}."
        + " Per-record results are in the return_value XCom."
    )
    if any(result.code in RETRYABLE_CODES for result in failed):
        return PartialFailureError(
            message + " Some failures were transient: a retry may fix them.", failed=len(failed)
        )
    return RecordsRefusedError(message, failed=len(failed))


def fails_for_good(error: BaseException) -> bool:
    """True when retrying the task cannot help (bad input, configuration, credentials, scope, permission)."""
    return isinstance(error, PERMANENT_ERRORS)
