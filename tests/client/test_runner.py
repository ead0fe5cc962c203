"""Outcome assembly (the dry-run outcome, one result per record out of its tag groups' results), and how the
runner reads the failures it adapts to. Runs against a sandbox are in test_bigin.py, test_runner_faults.py and
tests/reliability."""

from __future__ import annotations

from airflow_provider_bigin.client.assembly import combine_group_results, dry_run_outcome
from airflow_provider_bigin.client.plan import build_plan
from airflow_provider_bigin.client.results import RecordResult
from airflow_provider_bigin.client.runner import (
    asks_for_query_parameters,
    may_have_reached_bigin,
    refused_for_url_length,
)
from airflow_provider_bigin.errors import (
    BadRequestError,
    HostUnreachableError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)


def test_dry_run_outcome_lists_every_record_and_counts_nothing() -> None:
    outcome = dry_run_outcome(build_plan("remove_tags", "Contacts", ["1", "2"], ["a"]))
    assert [(r.id, r.code) for r in outcome.results] == [("1", "DRY_RUN"), ("2", "DRY_RUN")]
    assert outcome.summary.dry_run
    assert outcome.summary.api_calls == 0
    assert (outcome.summary.succeeded, outcome.summary.failed, outcome.failed) == (0, 0, ())


def _ok(record_id: str) -> RecordResult:
    return RecordResult(record_id, "success", "SUCCESS", "tags updated successfully", {"id": record_id})


def test_a_record_succeeds_only_if_every_tag_group_succeeded() -> None:
    failed = RecordResult("1", "error", "INVALID_DATA", "bad", {"id": "1"})
    result = combine_group_results("1", [(("a",), _ok("1")), (("b", "c"), failed), (("d",), None)])
    assert (result.status, result.code) == ("error", "INVALID_DATA")
    assert result.details["failed_tags"] == ["b", "c", "d"]
    assert [group["code"] for group in result.details["tag_groups"]] == [
        "SUCCESS",
        "INVALID_DATA",
        "NOT_ATTEMPTED",
    ]
    assert combine_group_results("1", [(("a",), _ok("1")), (("b",), _ok("1"))]).ok


def test_one_group_keeps_bigins_own_result() -> None:
    assert combine_group_results("1", [(("a",), _ok("1"))]) == _ok("1")
    assert combine_group_results("1", [(("a",), None)]).code == "NOT_ATTEMPTED"


def test_only_a_reply_lost_after_sending_may_have_applied() -> None:
    assert may_have_reached_bigin(TransportError("the reply was lost; the request was sent."))
    assert may_have_reached_bigin(ServerError("Bigin failed", http_status=503))
    assert not may_have_reached_bigin(
        HostUnreachableError("Could not reach Bigin", host="http://127.0.0.1:9", cause="connection refused")
    )
    assert not may_have_reached_bigin(RateLimitedError("slow down", http_status=429))


def test_a_refusal_for_the_url_length_is_a_414_or_a_400_naming_the_url() -> None:
    assert refused_for_url_length(UnexpectedResponseError("HTML page", http_status=414))
    assert refused_for_url_length(
        BadRequestError("(HTTP 400 INVALID_REQUEST: The request URL is too long)", http_status=400)
    )
    assert refused_for_url_length(BadRequestError("HTTP 400: Request-URI Too Large", http_status=400))
    assert not refused_for_url_length(
        BadRequestError(
            "Bigin refused it: the request is malformed (module, URL or parameters)", http_status=400
        )
    )
    assert not refused_for_url_length(BadRequestError("the URL is too long", http_status=404))


def test_add_tags_falls_back_on_a_refusal_saying_tag_names_or_ids_are_missing() -> None:
    assert asks_for_query_parameters(
        BadRequestError("missing", code="REQUIRED_PARAM_MISSING", http_status=400)
    )
    assert asks_for_query_parameters(BadRequestError("x", code="MANDATORY_NOT_FOUND", http_status=400))
    assert asks_for_query_parameters(BadRequestError("HTTP 400 INVALID_DATA: tag_names is missing"))
    assert not asks_for_query_parameters(BadRequestError("x", code="INVALID_MODULE", http_status=400))
    assert not asks_for_query_parameters(
        ServerError("ids missing", code="REQUIRED_PARAM_MISSING", http_status=500)
    )


def test_ids_left_queued_when_a_run_stops_keep_may_have_applied_only_if_an_attempt_sent_them() -> None:
    from airflow_provider_bigin.client.runner import _never_resent

    left = _never_resent([(("1", "2"), True), (("3",), False)])
    # Sent once with the reply lost, then never re-sent: they may have changed, and say so.
    assert set(left) == {"1", "2"}
    assert {result.code for result in left.values()} == {"NOT_ATTEMPTED"}
    assert all(result.details["may_have_applied"] is True for result in left.values())
    # Never sent: left out, so that the outcome marks them NOT_ATTEMPTED with "nothing was changed".
    assert "3" not in left
