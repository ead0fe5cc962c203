"""The built-in demo data and seed files: what a sandbox starts from."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_bigin.sandbox import Sandbox, SeedError, demo_records
from airflow_provider_bigin.sandbox.demo_data import TAG_VOCABULARY
from airflow_provider_bigin.sandbox.seed import load_seed
from tests.sandbox.conftest import SAMPLE_IDS, make_api

MODULES = ["Contacts", "Pipelines", "Accounts", "Products", "Tasks", "Events", "Calls"]
EMAIL = re.compile(r"^[a-z0-9.]+@[a-z0-9-]+\.[a-z]{2,}$")


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict[str, Any]]]:
    return demo_records()


def test_demo_data_spreads_a_few_thousand_records_over_all_seven_modules(demo: dict[str, list[Any]]) -> None:
    assert list(demo) == MODULES
    assert all(demo[module] for module in MODULES)
    assert 3000 <= sum(len(records) for records in demo.values()) <= 5000


def test_demo_ids_are_unique_19_digit_strings(demo: dict[str, list[dict[str, Any]]]) -> None:
    ids = [record["id"] for records in demo.values() for record in records]
    tag_ids = {tag["id"] for records in demo.values() for record in records for tag in record["Tag"]}
    assert all(isinstance(i, str) and len(i) == 19 and i.isdigit() and int(i) > 2**53 for i in ids)
    assert len(set(ids)) == len(ids)
    assert not tag_ids & set(ids)


def test_demo_records_carry_two_to_five_tags_from_the_vocabulary(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    counts = Counter(len(record["Tag"]) for records in demo.values() for record in records)
    assert set(counts) == {2, 3, 4, 5}
    used = {tag["name"] for records in demo.values() for record in records for tag in record["Tag"]}
    assert used == set(TAG_VOCABULARY)
    assert {
        "Newsletter",
        "Marketing",
        "Hot Lead",
        "Follow-up",
        "VIP",
        "From Email",
        "In Progress",
        "From Webforms",
    } <= used


def test_demo_contacts_have_emails_and_deals_have_closed_stages(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    assert all(EMAIL.match(contact["Email"]) for contact in demo["Contacts"])
    assert len({contact["Email"] for contact in demo["Contacts"]}) == len(demo["Contacts"])
    assert {"Closed Won", "Closed Lost"} <= {deal["Stage"] for deal in demo["Pipelines"]}


def test_demo_data_holds_the_seeds_sample_records(demo: dict[str, list[dict[str, Any]]]) -> None:
    contacts = {record["id"]: record for record in demo["Contacts"]}
    assert [tag["name"] for tag in contacts[SAMPLE_IDS[0]]["Tag"]] == ["From Email", "In Progress"]
    assert contacts[SAMPLE_IDS[1]]["Tag"][0]["name"] == "From Webforms"


def test_demo_data_is_the_same_every_time_and_is_what_the_sandbox_serves(
    demo: dict[str, list[dict[str, Any]]], bigin_sandbox: Sandbox
) -> None:
    assert demo_records() == demo
    assert bigin_sandbox.records("Accounts") == {record["id"]: record for record in demo["Accounts"]}


def test_a_seed_file_gives_records_tags_and_clients(
    tmp_path: Path, bigin_sandbox_factory: Any, session: requests.Session
) -> None:
    seed = {
        "records": {
            "Contacts": [
                {
                    "id": "2445013000000000001",
                    "Last_Name": "Lovelace",
                    "Tag": ["VIP", {"name": "Newsletter"}],
                },
                {"Last_Name": "Without id", "Tag": []},
            ]
        },
        "tags": {"Contacts": ["Spare"]},
        "clients": [
            {
                "name": "ci",
                "client_id": "1000.CI",
                "client_secret": "ci-secret",
                "refresh_token": "1000.ci.refresh",
            }
        ],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    sandbox: Sandbox = bigin_sandbox_factory(seed=path)

    records = sandbox.records("Contacts")
    assert [record["Last_Name"] for record in records.values()] == ["Lovelace", "Without id"]
    assert all(len(record_id) == 19 for record_id in records)
    assert sandbox.records("Pipelines") == {}
    assert set(sandbox.clients) == {"default", "readonly", "noperm", "noprivilege", "ci"}
    api = make_api(sandbox, session)
    ci_token = api.token_for("ci")
    listed = api.get("/bigin/v2/settings/tags", params={"module": "Contacts"}, token=ci_token).json()["tags"]
    assert [tag["name"] for tag in listed] == ["VIP", "Newsletter", "Spare"]


def test_a_seed_can_start_from_the_demo_data(bigin_sandbox_factory: Any) -> None:
    sandbox: Sandbox = bigin_sandbox_factory(
        seed={"base": "demo", "records": {"Products": [{"Product_Name": "Extra"}]}}
    )
    products = sandbox.records("Products")
    assert len(products) == len(demo_records()["Products"]) + 1
    assert sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"records": {"Deals": []}}, r"unknown modules \['Deals'\]"),
        (
            {"records": {"Contacts": [{"id": "12ab"}]}},
            r"records.Contacts\[0\]: id '12ab' must be a numeric string",
        ),
        ({"records": {"Contacts": [{"id": "1"}, {"id": "1"}]}}, "appears twice"),
        ({"records": {"Contacts": [{"Tag": ["a,b"]}]}}, "contain no comma"),
        ({"clients": [{"name": "x"}]}, "lacks"),
        ({"recrods": {}}, "unknown keys"),
        ({"base": "production"}, "'base' must be"),
    ],
)
def test_a_bad_seed_is_refused_with_the_place_to_fix(seed: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError, match=message):
        load_seed(seed)


def test_a_bad_seed_file_fails_in_the_caller_before_any_server_starts(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(SeedError, match="not valid JSON"):
        Sandbox(seed=path).start()
    with pytest.raises(SeedError, match="cannot read"):
        Sandbox(seed=tmp_path / "missing.json").start()
