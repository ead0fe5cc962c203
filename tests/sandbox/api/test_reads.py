"""Get records (paged), get one record, list and create tags, list modules."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import SAMPLE_IDS, Api


def test_get_records_returns_the_requested_fields_a_page_at_a_time(api: Api) -> None:
    reply = api.get("/bigin/v2/Contacts", params={"fields": "Email,Tag", "per_page": 200})
    assert reply.status_code == 200
    body = reply.json()
    assert body["info"] == {"page": 1, "per_page": 200, "count": 200, "more_records": True}
    first = body["data"][0]
    assert set(first) == {"id", "Email", "Tag"}
    assert first["id"] == SAMPLE_IDS[0]
    assert [tag["name"] for tag in first["Tag"]] == ["From Email", "In Progress"]
    assert all(tag["id"].isdigit() and len(tag["id"]) == 19 for tag in first["Tag"])


def test_paging_through_get_records_yields_every_record_once_then_204(api: Api) -> None:
    seen: list[str] = []
    page = 1
    while True:
        reply = api.get("/bigin/v2/Contacts", params={"fields": "Last_Name", "page": page, "per_page": 200})
        if reply.status_code == 204:
            assert reply.content == b""
            break
        info = reply.json()["info"]
        seen.extend(record["id"] for record in reply.json()["data"])
        page += 1
        if not info["more_records"]:
            assert (
                api.get("/bigin/v2/Contacts", params={"fields": "Last_Name", "page": page}).status_code == 204
            )
            break
    assert seen == list(api.sandbox.records("Contacts"))


@pytest.mark.parametrize(
    ("params", "code", "details"),
    [
        ({}, "REQUIRED_PARAM_MISSING", {"param_name": "fields"}),
        ({"fields": "Email", "per_page": 201}, "INVALID_DATA", {"param_name": "per_page", "maximum": 200}),
        ({"fields": "Email", "page": 0}, "INVALID_DATA", {"param_name": "page"}),
        ({"fields": "Email", "per_page": "ten"}, "INVALID_DATA", {"param_name": "per_page"}),
    ],
)
def test_get_records_refuses_bad_parameters(
    api: Api, params: dict[str, object], code: str, details: dict[str, object]
) -> None:
    reply = api.get("/bigin/v2/Contacts", params=params)
    assert reply.status_code == 400
    assert reply.json()["code"] == code
    assert reply.json()["details"] == details


def test_get_one_record_returns_all_its_fields(api: Api) -> None:
    reply = api.get(f"/bigin/v2/Contacts/{SAMPLE_IDS[1]}")
    assert reply.status_code == 200
    [record] = reply.json()["data"]
    assert record == api.sandbox.records("Contacts")[SAMPLE_IDS[1]]
    assert {"First_Name", "Last_Name", "Email", "Account_Name", "Owner", "Tag"} <= set(record)


def test_get_one_unknown_record_is_invalid_data(api: Api) -> None:
    reply = api.get("/bigin/v2/Contacts/2445013999999999999")
    assert reply.status_code == 400
    assert reply.json()["code"] == "INVALID_DATA"


def test_list_tags_names_every_tag_of_the_module_with_its_id(api: Api) -> None:
    reply = api.get("/bigin/v2/settings/tags", params={"module": "Contacts"})
    assert reply.status_code == 200
    tags = reply.json()["tags"]
    names = {tag["name"] for tag in tags}
    assert {"Newsletter", "From Email", "In Progress", "From Webforms", "VIP"} <= names
    assert reply.json()["info"] == {"count": len(tags)}
    assert all(tag["id"].isdigit() for tag in tags)


def test_create_tags_adds_new_ones_and_reports_duplicates_per_tag(api: Api) -> None:
    reply = api.post(
        "/bigin/v2/settings/tags",
        params={"module": "Contacts"},
        json={"tags": [{"name": "Fresh"}, {"name": "newsletter"}, {"name": "a,b"}]},
    )
    assert reply.status_code == 207
    fresh, duplicate, invalid = reply.json()["tags"]
    assert fresh["code"] == "SUCCESS"
    assert fresh["details"]["name"] == "Fresh"
    assert duplicate["code"] == "DUPLICATE_DATA"
    assert invalid["code"] == "INVALID_DATA"
    listed = api.get("/bigin/v2/settings/tags", params={"module": "Contacts"}).json()["tags"]
    assert {"id": fresh["details"]["id"], "name": "Fresh"}.items() <= next(
        t for t in listed if t["name"] == "Fresh"
    ).items()


def test_tag_settings_need_a_module(api: Api) -> None:
    reply = api.get("/bigin/v2/settings/tags")
    assert reply.status_code == 400
    assert reply.json()["details"] == {"param_name": "module"}
    assert api.get("/bigin/v2/settings/tags", params={"module": "Deals"}).json()["code"] == "INVALID_MODULE"


def test_modules_lists_the_seven_api_names_with_their_labels(api: Api) -> None:
    reply = api.get("/bigin/v2/settings/modules")
    assert reply.status_code == 200
    modules = {module["api_name"]: module for module in reply.json()["modules"]}
    assert list(modules) == ["Contacts", "Pipelines", "Accounts", "Products", "Tasks", "Events", "Calls"]
    assert modules["Accounts"]["plural_label"] == "Companies"
