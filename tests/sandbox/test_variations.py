"""Zoho's variations, switched on in the fault profile: invalid tokens with 400, long URLs refused."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.sandbox import FaultProfile
from airflow_provider_bigin.sandbox.faults import fault_profile, profile_to_text
from tests.sandbox.conftest import SAMPLE_IDS, Api

REMOVE = "/bigin/v2/Contacts/actions/remove_tags"


def test_an_invalid_token_is_refused_with_400_when_switched(api: Api) -> None:
    assert api.remove_tags(SAMPLE_IDS, "VIP", token="1000.unknown.token").status_code == 401
    api.sandbox.set_faults({"invalid_token_status": 400})
    reply = api.remove_tags(SAMPLE_IDS, "VIP", token="1000.unknown.token")
    assert reply.status_code == 400
    assert reply.json()["code"] == "INVALID_TOKEN"
    assert api.remove_tags(SAMPLE_IDS, "Absent").status_code == 200  # a live token still works


@pytest.mark.parametrize("status", [414, 400])
def test_more_ids_in_the_url_than_allowed_are_refused_for_its_length_and_change_nothing(
    api: Api, status: int
) -> None:
    api.sandbox.set_faults({"url_max_ids": 1, "url_too_long_status": status})
    reply = api.remove_tags(SAMPLE_IDS, "From Email")
    assert reply.status_code == status
    if status == 414:
        assert "414 Request-URI Too Large" in reply.text
    else:
        assert (reply.json()["code"], reply.json()["message"]) == (
            "INVALID_REQUEST",
            "The request URL is too long",
        )
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]
    assert api.sandbox.stats()["faults"] == {"url_too_long": 1}
    assert api.remove_tags(SAMPLE_IDS[:1], "From Email").status_code == 200  # at the limit: accepted
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]


def test_the_url_limit_counts_only_ids_in_the_query_string(api: Api) -> None:
    api.sandbox.set_faults({"url_max_ids": 1})
    body = {"tags": [{"name": "Body"}], "ids": list(SAMPLE_IDS)}
    assert api.post("/bigin/v2/Contacts/actions/add_tags", json=body).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        "invalid_token_status=400,url_max_ids=100,url_too_long_status=400,add_tags_v1_only=true",
        {
            "invalid_token_status": 400,
            "url_max_ids": 100,
            "url_too_long_status": 400,
            "add_tags_v1_only": True,
        },
    ],
)
def test_variations_parse_like_every_fault_setting_and_survive_the_round_trips(spec: Any) -> None:
    profile = fault_profile(spec)
    assert profile == FaultProfile(
        invalid_token_status=400, url_max_ids=100, url_too_long_status=400, add_tags_v1_only=True
    )
    assert fault_profile(profile.as_json()) == profile  # the control endpoint's way
    assert fault_profile(profile_to_text(profile)) == profile  # the CLI's way
    assert not profile.active  # variations are never drawn


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"invalid_token_status": 403}, "invalid_token_status"),
        ({"url_too_long_status": 413}, "url_too_long_status"),
        ({"url_max_ids": 0}, "url_max_ids"),
    ],
)
def test_bad_variations_are_refused_with_a_clear_error(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fault_profile(spec)
