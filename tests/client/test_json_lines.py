"""JSON Lines of results: each line is exactly the JSON of the result's to_dict(), whatever its shape."""

from __future__ import annotations

import json

from airflow_provider_bigin.client.assembly import not_attempted
from airflow_provider_bigin.client.replies import SharedValues, parse_record_results
from airflow_provider_bigin.client.results import RecordResult, to_json_lines


def test_every_shape_a_result_takes_encodes_to_its_to_dict() -> None:
    reply = {
        "data": [
            {
                "status": "success",
                "code": "SUCCESS",
                "message": "tags removed",
                "details": {"id": "11", "tags": ["A", 'Q"uote']},
            },
            {"status": "success", "code": "SUCCESS", "message": "tags removed", "details": {"id": "12"}},
            {
                "status": "error",
                "code": "INVALID_DATA",
                "message": "the id given seems to be invalid",
                "details": {"id": "13", "api_name": "ids"},
            },
        ]
    }
    results = [
        *parse_record_results(reply, ["11", "12", "13"], SharedValues()).values(),
        not_attempted("14", ("Ünïcode", "B")),
        RecordResult("15", "error", "X", "line\nbreak", {"id": "15", "nested": {"a": [1, None]}}),
        RecordResult('odd"id', "error", "X", "m"),
    ]

    text = to_json_lines(results)

    assert text.endswith("\n")
    assert [json.loads(line) for line in text.splitlines()] == [result.to_dict() for result in results]


def test_no_results_make_no_lines() -> None:
    assert to_json_lines([]) == ""
