"""Add Tags, many records and one: the JSON body only (v1's query form only when switched), the same
per-record reply as Remove Tags, and the CREATE scope."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import SAMPLE_IDS, Api

PLAIN = "2445013000000141005"


def _module_tag_names(api: Api, module: str = "Contacts") -> set[str]:
    return {
        tag["name"] for tag in api.get("/bigin/v2/settings/tags", params={"module": module}).json()["tags"]
    }


def test_add_tags_to_many_records_from_a_json_body_and_a_later_read_shows_them(api: Api) -> None:
    reply = api.post(
        "/bigin/v2/Contacts/actions/add_tags",
        json={"tags": [{"name": "Brand New"}, {"name": "VIP"}], "ids": list(SAMPLE_IDS)},
    )
    assert reply.status_code == 200
    assert [entry["details"]["id"] for entry in reply.json()["data"]] == list(SAMPLE_IDS)
    assert {entry["message"] for entry in reply.json()["data"]} == {"tags updated successfully"}
    record = api.get(f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}").json()["data"][0]
    assert [tag["name"] for tag in record["Tag"]] == ["From Email", "In Progress", "Brand New", "VIP"]
    assert "Brand New" in _module_tag_names(api)


def test_add_tags_reads_only_the_json_body_so_that_the_clients_choice_is_pinned(api: Api) -> None:
    before = api.sandbox.tags("Contacts", PLAIN)
    reply = api.post("/bigin/v2/Contacts/actions/add_tags", params={"ids": PLAIN, "tag_names": "Q1,Q2"})
    assert reply.status_code == 400
    assert reply.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert reply.json()["details"] == {"param_name": "tags"}
    plain_strings = api.post(f"/bigin/v2/Contacts/{PLAIN}/actions/add_tags", json={"tags": ["Q1"]})
    assert plain_strings.status_code == 400
    assert plain_strings.json()["code"] == "INVALID_DATA"
    assert api.sandbox.tags("Contacts", PLAIN) == before


def test_switched_to_v1_only_add_tags_reads_only_the_query_parameters(api: Api) -> None:
    api.sandbox.set_faults({"add_tags_v1_only": True})
    body = {"tags": [{"name": "Q1"}], "ids": [PLAIN]}
    refused = api.post("/bigin/v2/Contacts/actions/add_tags", json=body)
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["details"]) == (
        "REQUIRED_PARAM_MISSING",
        {"param_name": "tag_names"},
    )
    no_ids = api.post("/bigin/v2/Contacts/actions/add_tags", params={"tag_names": "Q1"})
    assert no_ids.json()["details"] == {"param_name": "ids"}
    many = api.post("/bigin/v2/Contacts/actions/add_tags", params={"ids": PLAIN, "tag_names": "Q1,Q2"})
    assert many.status_code == 200
    one = api.post(f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}/actions/add_tags", params={"tag_names": "Q3"})
    assert one.status_code == 200
    assert api.sandbox.tags("Contacts", PLAIN)[-2:] == ["Q1", "Q2"]
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0])[-1] == "Q3"


def test_add_tags_accepts_the_modules_create_scope_and_remove_tags_does_not(api: Api) -> None:
    code = api.sandbox.issue_grant_code(scope="ZohoBigin.modules.contacts.CREATE")
    credentials = api.sandbox.credentials()
    form = {
        "grant_type": "authorization_code",
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "code": code,
    }
    exchanged = api.session.post(f"{api.sandbox.url}/oauth/v2/token", data=form, timeout=30)
    token = exchanged.json()["access_token"]
    added = api.post(
        f"/bigin/v2/Contacts/{PLAIN}/actions/add_tags", json={"tags": [{"name": "Created"}]}, token=token
    )
    assert added.status_code == 200
    assert api.sandbox.tags("Contacts", PLAIN)[-1] == "Created"
    removed = api.remove_tags([PLAIN], "Created", token=token)
    assert (removed.status_code, removed.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")


def test_add_tags_to_one_record(api: Api) -> None:
    reply = api.post(f"/bigin/v2/Contacts/{PLAIN}/actions/add_tags", json={"tags": [{"name": "Solo"}]})
    assert reply.status_code == 200
    assert reply.json()["data"][0]["details"]["id"] == PLAIN
    assert api.sandbox.tags("Contacts", PLAIN)[-1] == "Solo"


def test_adding_a_tag_in_another_case_reuses_the_existing_tag(api: Api) -> None:
    api.post(f"/bigin/v2/Contacts/{PLAIN}/actions/add_tags", json={"tags": [{"name": "vip"}]})
    assert api.sandbox.tags("Contacts", PLAIN)[-1] == "VIP"
    assert "vip" not in _module_tag_names(api)


def test_adding_a_tag_the_record_has_changes_nothing(api: Api) -> None:
    api.post(f"/bigin/v2/Contacts/{PLAIN}/actions/add_tags", json={"tags": [{"name": "Newsletter"}]})
    assert api.sandbox.tags("Contacts", PLAIN) == ["From Webforms", "Newsletter"]


def test_add_tags_mixed_known_and_unknown_ids_answers_207_and_creates_no_stray_tags(api: Api) -> None:
    reply = api.post(
        "/bigin/v2/Contacts/actions/add_tags", json={"tags": [{"name": "Mixed"}], "ids": [PLAIN, "999"]}
    )
    assert reply.status_code == 207
    assert [entry["status"] for entry in reply.json()["data"]] == ["success", "error"]
    none_known = api.post(
        "/bigin/v2/Contacts/actions/add_tags", json={"tags": [{"name": "Orphan"}], "ids": ["999"]}
    )
    assert none_known.status_code == 400
    assert "Orphan" not in _module_tag_names(api)


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"ids": [PLAIN]}, "tags"),
        ({"ids": [PLAIN], "tags": [{"name": "  "}]}, "tags"),
        ({"tags": [{"name": "T"}]}, "ids"),
    ],
)
def test_add_tags_names_a_missing_parameter(api: Api, body: dict[str, object], missing: str) -> None:
    reply = api.post("/bigin/v2/Contacts/actions/add_tags", json=body)
    assert reply.status_code == 400
    assert reply.json()["code"] == "REQUIRED_PARAM_MISSING"
    assert reply.json()["details"] == {"param_name": missing}


def test_add_tags_refuses_more_than_500_ids(api: Api) -> None:
    ids = list(api.sandbox.records("Contacts"))[:501]
    reply = api.post("/bigin/v2/Contacts/actions/add_tags", json={"tags": [{"name": "T"}], "ids": ids})
    assert reply.status_code == 400
    assert reply.json()["code"] == "LIMIT_EXCEEDED"


def test_a_body_that_is_not_json_is_invalid_data(api: Api) -> None:
    reply = api.post(
        "/bigin/v2/Contacts/actions/add_tags", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == "INVALID_DATA"
