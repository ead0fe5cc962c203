"""Remove Tags, many records and one, as Zoho's Remove Tags page specifies it, over real HTTP.

The page is summarised in docs/zoho-facts.md, section 6; the first two tests replay its sample request.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.sandbox import Sandbox
from tests.sandbox.conftest import SAMPLE_IDS, Api, make_api

UNKNOWN_ID = "111111000000195072"  # docs/zoho-facts.md, section 1: the sample of an id that does not exist


def _names(api: Api, record_id: str, module: str = "Contacts") -> list[str]:
    reply = api.get(f"/bigin/v2/{module}/{record_id}")
    assert reply.status_code == 200, reply.text
    return [tag["name"] for tag in reply.json()["data"][0]["Tag"]]


def test_seed_sample_request_replies_in_the_seeds_shape_and_removes_the_tags(api: Api) -> None:
    reply = api.remove_tags(SAMPLE_IDS, "From Email,In progress")

    assert reply.status_code == 200
    assert reply.json() == {
        "data": [
            {
                "code": "SUCCESS",
                "details": {"id": "2445013000000402006", "tags": ["From Email", "In Progress"]},
                "message": "tags updated successfully",
                "status": "success",
            },
            {
                "code": "SUCCESS",
                "details": {"id": "2445013000000141005", "tags": ["From Webforms", "Newsletter"]},
                "message": "tags updated successfully",
                "status": "success",
            },
        ]
    }
    assert _names(api, SAMPLE_IDS[0]) == []
    assert _names(api, SAMPLE_IDS[1]) == ["From Webforms", "Newsletter"]


def test_seed_sample_url_with_spaces_percent_encoded_as_curl_sends_it(api: Api) -> None:
    query = f"ids={','.join(SAMPLE_IDS)}&tag_names=From%20Email,In%20progress"
    path = f"/bigin/v2/Contacts/actions/remove_tags?{query}"
    reply = api.post(path)
    assert reply.status_code == 200
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == []


def test_unknown_and_non_numeric_ids_fail_per_record_in_the_order_sent(api: Api) -> None:
    known = list(api.sandbox.records("Contacts"))[2:4]
    sent = [UNKNOWN_ID, known[0], "not-an-id", known[1]]

    reply = api.remove_tags(sent, "Newsletter")

    assert reply.status_code == 207
    entries = reply.json()["data"]
    assert [entry["details"]["id"] for entry in entries] == sent
    assert [entry["status"] for entry in entries] == ["error", "success", "error", "success"]
    assert entries[0] == {
        "code": "INVALID_DATA",
        "details": {"id": UNKNOWN_ID},
        "message": "the id given seems to be invalid",
        "status": "error",
    }


def test_all_ids_unknown_answers_400_and_still_lists_every_record(api: Api) -> None:
    reply = api.remove_tags([UNKNOWN_ID, "2445013999999999999"], "VIP")
    assert reply.status_code == 400
    assert [entry["code"] for entry in reply.json()["data"]] == ["INVALID_DATA", "INVALID_DATA"]


def test_a_repeated_id_gets_an_entry_each_time(api: Api) -> None:
    reply = api.remove_tags([SAMPLE_IDS[0], SAMPLE_IDS[0]], "From Email")
    entries = reply.json()["data"]
    assert [entry["details"]["id"] for entry in entries] == [SAMPLE_IDS[0]] * 2
    assert all(entry["status"] == "success" for entry in entries)


def test_more_than_500_ids_is_refused_whole_and_changes_nothing(api: Api) -> None:
    ids = list(api.sandbox.records("Contacts"))[:501]
    before = api.sandbox.tags("Contacts", ids[0])

    reply = api.remove_tags(ids, ",".join(before))

    assert reply.status_code == 400
    assert reply.json() == {
        "code": "LIMIT_EXCEEDED",
        "details": {"param_name": "ids", "limit": 500},
        "message": "the number of ids given exceeds the limit",
        "status": "error",
    }
    assert api.sandbox.tags("Contacts", ids[0]) == before


def test_exactly_500_ids_are_accepted(api: Api) -> None:
    ids = list(api.sandbox.records("Contacts"))[:500]
    reply = api.remove_tags(ids, "Newsletter")
    assert reply.status_code == 200
    assert len(reply.json()["data"]) == 500
    assert all("Newsletter" not in api.sandbox.tags("Contacts", record_id) for record_id in ids[:20])


@pytest.mark.parametrize(
    ("params", "missing"),
    [
        ({"ids": SAMPLE_IDS[0]}, "tag_names"),
        ({"ids": SAMPLE_IDS[0], "tag_names": " , "}, "tag_names"),
        ({"tag_names": "VIP"}, "ids"),
    ],
)
def test_a_missing_parameter_is_named_in_the_error(api: Api, params: dict[str, str], missing: str) -> None:
    reply = api.post("/bigin/v2/Contacts/actions/remove_tags", params=params)
    assert reply.status_code == 400
    assert reply.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": missing},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


def test_ids_in_a_json_body_are_not_read_remove_tags_takes_query_parameters_only(api: Api) -> None:
    reply = api.post(
        "/bigin/v2/Contacts/actions/remove_tags",
        params={"tag_names": "VIP"},
        json={"ids": [SAMPLE_IDS[0]], "tags": [{"name": "From Email"}]},
    )
    assert reply.status_code == 400
    assert reply.json()["details"] == {"param_name": "ids"}
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]


def test_removing_a_tag_the_record_lacks_succeeds_and_changes_nothing(api: Api) -> None:
    reply = api.remove_tags([SAMPLE_IDS[1]], "Never Had This")
    assert reply.status_code == 200
    assert reply.json()["data"][0]["status"] == "success"
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[1]) == ["From Webforms", "Newsletter"]


def test_removing_twice_is_idempotent(api: Api) -> None:
    first = api.remove_tags([SAMPLE_IDS[0]], "From Email")
    second = api.remove_tags([SAMPLE_IDS[0]], "From Email")
    assert first.status_code == second.status_code == 200
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]


def test_tag_names_match_whatever_their_case_and_surrounding_spaces(api: Api) -> None:
    reply = api.remove_tags([SAMPLE_IDS[0]], " from email , IN PROGRESS ")
    assert reply.status_code == 200
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == []


def test_tags_of_other_records_and_modules_stay(api: Api) -> None:
    deal_id = next(iter(api.sandbox.records("Pipelines")))
    deal_tags = api.sandbox.tags("Pipelines", deal_id)
    api.remove_tags([SAMPLE_IDS[0]], ",".join(deal_tags))
    assert api.sandbox.tags("Pipelines", deal_id) == deal_tags
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[1]) == ["From Webforms", "Newsletter"]


def test_single_record_endpoint_removes_tags_from_that_record_only(api: Api) -> None:
    reply = api.post(
        f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}/actions/remove_tags", params={"tag_names": "In progress"}
    )
    assert reply.status_code == 200
    assert reply.json()["data"] == [
        {
            "code": "SUCCESS",
            "details": {"id": SAMPLE_IDS[0], "tags": ["From Email", "In Progress"]},
            "message": "tags updated successfully",
            "status": "success",
        }
    ]
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email"]


@pytest.mark.parametrize("record_id", [UNKNOWN_ID, "abc"])
def test_single_record_endpoint_with_an_unknown_id_fails_that_record(api: Api, record_id: str) -> None:
    reply = api.post(f"/bigin/v2/Contacts/{record_id}/actions/remove_tags", params={"tag_names": "VIP"})
    assert reply.status_code == 400
    assert reply.json()["data"][0]["code"] == "INVALID_DATA"


def test_other_modules_remove_their_own_tags(api: Api) -> None:
    deal_id, tags = next(
        (i, [t["name"] for t in r["Tag"]]) for i, r in api.sandbox.records("Pipelines").items()
    )
    reply = api.post("/bigin/v2/Pipelines/actions/remove_tags", params={"ids": deal_id, "tag_names": tags[0]})
    assert reply.status_code == 200
    assert api.sandbox.tags("Pipelines", deal_id) == tags[1:]


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ("after", [[], ["From Webforms", "Newsletter"]]),
        ("changed", [["From Email", "In Progress"], []]),
    ],
)
def test_details_tags_follow_the_configured_report(
    bigin_sandbox_factory: Any,
    session: Any,
    small_seed: dict[str, Any],
    report: str,
    expected: list[list[str]],
) -> None:
    sandbox: Sandbox = bigin_sandbox_factory(seed=small_seed, tags_report=report)
    reply = make_api(sandbox, session).remove_tags(SAMPLE_IDS, "From Email,In progress")
    assert [entry["details"]["tags"] for entry in reply.json()["data"]] == expected
