"""The partial-failure policy and its messages: what a task does once some records failed."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.client.results import RecordResult, failed_by_code
from airflow_provider_bigin.errors import (
    HostUnreachableError,
    InvalidInputError,
    PermissionDeniedError,
    ScopeMismatchError,
    ServerError,
    TokenBudgetExceededError,
)
from airflow_provider_bigin.operators.partial_failure import (
    FAILURES_SHOWN,
    PartialFailureError,
    RecordsRefusedError,
    check_partial_failure_policy,
    describe_failures,
    fails_for_good,
    partial_failure_error,
)
from airflow_provider_bigin.version_compat import AirflowFailException


def failed(record_id: str, code: str = "INVALID_DATA") -> RecordResult:
    return RecordResult(id=record_id, status="error", code=code, message="no", details={"id": record_id})


@pytest.mark.parametrize("value", ["fail", "warn", "ignore", " WARN "])
def test_known_policies_are_accepted_in_any_case(value: str) -> None:
    assert check_partial_failure_policy(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["explode", "", None, True])
def test_unknown_policy_is_refused_naming_the_choices(value: object) -> None:
    with pytest.raises(InvalidInputError, match="'fail', 'warn', 'ignore'"):
        check_partial_failure_policy(value)


def test_thousands_of_failures_make_a_short_message_with_counts_per_code() -> None:
    failures = [failed(str(10**18 + n)) for n in range(4990)] + [
        failed(str(2 * 10**18 + n), "SERVER_ERROR") for n in range(10)
    ]
    message = describe_failures(failures, requested=10_000)
    assert message.startswith("5000 of 10000 records failed: 1000000000000000000 (INVALID_DATA), ")
    assert message.count("(INVALID_DATA)") == FAILURES_SHOWN
    assert f"and {5000 - FAILURES_SHOWN} more" in message
    assert "INVALID_DATA x4990, SERVER_ERROR x10" in message
    assert len(message) < 1000


def test_a_few_failures_are_all_named() -> None:
    message = describe_failures([failed("111"), failed("222", "NOT_ATTEMPTED")], requested=5)
    assert message == "2 of 5 records failed: 111 (INVALID_DATA), 222 (NOT_ATTEMPTED)."


def test_failure_counts_are_most_frequent_first() -> None:
    counts = failed_by_code([failed("1", "A"), failed("2", "B"), failed("3", "B")])
    assert counts == (("B", 2), ("A", 1))


def test_failures_no_retry_can_fix_fail_the_task_without_retries() -> None:
    error = partial_failure_error([failed("111")], requested=3)
    assert isinstance(error, RecordsRefusedError)
    assert isinstance(error, AirflowFailException)


@pytest.mark.parametrize("code", ["SERVER_ERROR", "RATE_LIMITED", "TRANSPORT_ERROR", "NOT_ATTEMPTED"])
def test_transient_failures_leave_the_task_to_airflow_retries(code: str) -> None:
    error = partial_failure_error([failed("111"), failed("222", code)], requested=3)
    assert isinstance(error, PartialFailureError)
    assert not isinstance(error, AirflowFailException)
    assert "a retry may fix them" in str(error)


def test_errors_split_into_permanent_and_retryable() -> None:
    assert fails_for_good(InvalidInputError("bad id"))
    assert fails_for_good(ScopeMismatchError("scope", scope="ZohoBigin.modules.contacts.WRITE"))
    assert fails_for_good(PermissionDeniedError("no"))
    assert not fails_for_good(ServerError("500"))
    assert not fails_for_good(TokenBudgetExceededError("later", retry_after_seconds=60, retry_at="soon"))


def test_the_final_error_names_why_records_failed_not_only_the_xcom() -> None:
    gave_up = RecordResult(
        "222",
        "error",
        "SERVER_ERROR",
        "gave up after 6 attempts: Bigin failed on POST /bigin/v2/Contacts/actions/remove_tags (HTTP 503)"
        + " (and much more)" * 40,
        {"id": "222"},
    )
    error = partial_failure_error([failed("111"), gave_up, failed("333")], requested=3)
    message = str(error)
    assert "Why: INVALID_DATA: " in message
    assert "; SERVER_ERROR: gave up after 6 attempts: Bigin failed on POST" in message
    assert "..." in message  # the long message was cut
    assert len(message) < 1200


def test_a_host_that_cannot_be_reached_leaves_the_task_to_airflow_retries() -> None:
    unreachable = HostUnreachableError("no", host="https://www.zohoapis.com", cause="connect timeout")
    assert not fails_for_good(unreachable)  # the host may come back
