from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_bigin.client.replies import parse_record_results
from airflow_provider_bigin.client.results import OutcomeSummary, RecordResult, TagOutcome
from airflow_provider_bigin.errors import UnexpectedResponseError

# The sample reply of Zoho's Remove Tags page, with one failed entry (docs/zoho-facts.md, sections 1 and 6).
PAGE_REPLY = {
    "data": [
        {
            "code": "SUCCESS",
            "details": {"id": "2445013000000402006", "tags": ["From Email", "In Progress"]},
            "message": "tags updated successfully",
            "status": "success",
        },
        {
            "code": "INVALID_DATA",
            "details": {"id": "111111000000195072"},
            "message": "the id given seems to be invalid",
            "status": "error",
        },
    ]
}


def test_every_data_entry_becomes_a_result_keyed_by_id() -> None:
    results = parse_record_results(PAGE_REPLY, ["111111000000195072", "2445013000000402006"])
    ok = results["2445013000000402006"]
    assert ok.ok
    assert ok.code == "SUCCESS"
    assert ok.details["tags"] == ["From Email", "In Progress"]
    bad = results["111111000000195072"]
    assert not bad.ok
    assert (bad.status, bad.code, bad.message) == (
        "error",
        "INVALID_DATA",
        "the id given seems to be invalid",
    )


def test_ids_the_reply_does_not_mention_are_absent() -> None:
    results = parse_record_results(PAGE_REPLY, ["111111000000195072", "2445013000000402006", "7"])
    assert "7" not in results


def test_entries_without_ids_are_matched_by_position_when_counts_agree() -> None:
    reply = {"data": [{"code": "SUCCESS", "details": {}, "message": "ok", "status": "success"}]}
    assert parse_record_results(reply, ["42"])["42"].ok


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"data": [{"status": "success", "details": {"id": "9"}}]}, "record 9, which was not sent"),
        ({"data": [{"status": "success"}, {"status": "success", "details": {"id": "1"}}]}, "names no record"),
        ({"code": "X"}, "no data"),
        ("<html>", "no data"),
        ({"data": ["x"]}, "no data"),
    ],
)
def test_replies_that_cannot_be_placed_are_unexpected(payload: Any, message: str) -> None:
    with pytest.raises(UnexpectedResponseError, match=message):
        parse_record_results(payload, ["1", "2"])


def test_an_error_entry_wins_over_a_success_for_the_same_id() -> None:
    reply = {
        "data": [
            {"status": "success", "code": "SUCCESS", "details": {"id": "1"}},
            {"status": "error", "code": "INVALID_DATA", "details": {"id": "1"}},
        ]
    }
    assert parse_record_results(reply, ["1"])["1"].code == "INVALID_DATA"


def test_per_record_server_faults_are_transient_and_invalid_data_is_final() -> None:
    assert RecordResult("1", "error", "INTERNAL_ERROR", "").transient
    assert not RecordResult("1", "error", "INVALID_DATA", "").transient
    assert not RecordResult("1", "success", "SUCCESS", "").transient


def test_outcome_serialises_to_json_with_failed_and_succeeded_views() -> None:
    results = tuple(parse_record_results(PAGE_REPLY, ["111111000000195072", "2445013000000402006"]).values())
    summary = OutcomeSummary("remove_tags", "Contacts", ("a",), 2, 1, 1, api_calls=1, retries=0)
    outcome = TagOutcome(results, summary)
    assert [r.id for r in outcome.failed] == ["111111000000195072"]
    assert [r.id for r in outcome.succeeded] == ["2445013000000402006"]
    text = json.dumps(outcome.to_dict())
    assert json.loads(text)["summary"] == {
        "action": "remove_tags",
        "module": "Contacts",
        "tags": ["a"],
        "requested": 2,
        "succeeded": 1,
        "failed": 1,
        "failed_by_code": {},
        "api_calls": 1,
        "retries": 0,
        "dry_run": False,
    }
    assert set(outcome.to_dicts()[0]) == {"id", "status", "code", "message", "details"}
