"""Results of a large run share what the replies repeat, and still read and serialise as before."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

from airflow_provider_bigin.client.assembly import not_attempted
from airflow_provider_bigin.client.replies import SharedValues, parse_record_results
from airflow_provider_bigin.client.results import RecordResult


def _reply(ids: list[str], tags: list[str]) -> dict[str, object]:
    # Parsed from text, as a real reply is: every entry holds strings of its own.
    entries = [
        {
            "code": "SUCCESS",
            "details": {"id": i, "tags": tags},
            "message": "tags updated",
            "status": "success",
        }
        for i in ids
    ]
    parsed: dict[str, object] = json.loads(json.dumps({"data": entries}))
    return parsed


def test_results_hold_the_sent_id_and_share_code_message_and_tags() -> None:
    sent = [str(2445013000000000000 + n) for n in range(3)]
    shared = SharedValues()
    results = parse_record_results(_reply(sent, ["VIP", "Newsletter"]), sent, shared)
    again = parse_record_results(_reply(sent, ["VIP", "Newsletter"]), sent, shared)
    first, second = results[sent[0]], again[sent[1]]
    assert all(results[i].id is i for i in sent)
    assert first.code is second.code
    assert first.message is second.message
    assert first._details is second._details  # one tuple of tags for every record


def test_compact_results_read_and_serialise_as_the_reply_said() -> None:
    sent = ["2445013000000402006"]
    result = parse_record_results(_reply(sent, ["From Email", "In Progress"]), sent)[sent[0]]
    assert result.details == {"id": sent[0], "tags": ["From Email", "In Progress"]}
    assert result.to_dict() == {
        "id": sent[0],
        "status": "success",
        "code": "SUCCESS",
        "message": "tags updated",
        "details": {"id": sent[0], "tags": ["From Email", "In Progress"]},
    }
    explicit = RecordResult(
        sent[0], "success", "SUCCESS", "tags updated", {"id": sent[0], "tags": ["From Email", "In Progress"]}
    )
    assert result == explicit
    assert hash(result) == hash(explicit)
    assert pickle.loads(pickle.dumps(result))  # noqa: S301 == result
    assert repr(result) == repr(explicit)


def test_details_that_say_more_than_id_and_tags_are_kept_whole() -> None:
    reply = {"data": [{"code": "INVALID_DATA", "details": {"id": 7, "field": "x"}, "status": "error"}]}
    result = parse_record_results(reply, ["7"])["7"]
    assert result.details == {"id": 7, "field": "x"}


def test_not_attempted_lists_the_tags_of_its_call() -> None:
    result = not_attempted("42", ("VIP", "Newsletter"))
    assert result.to_dict()["details"] == {"id": "42", "tags": ["VIP", "Newsletter"]}
    assert result.code == "NOT_ATTEMPTED"


def test_a_result_stays_frozen() -> None:
    result = RecordResult("1", "success", "SUCCESS", "ok")
    assert result.details == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.code = "X"  # type: ignore[misc]
