from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from airflow_provider_bigin.client.calls import ADD_TAGS_QUERY, encode_query, tag_request


def test_remove_tags_sends_ids_and_url_encoded_tag_names_as_query_parameters() -> None:
    request = tag_request("remove_tags", "Contacts", ["1", "2"], ["From Email", "a&b=c+d/é"])
    assert (request.method, request.path, request.json_body) == (
        "POST",
        "/bigin/v2/Contacts/actions/remove_tags",
        None,
    )
    assert request.query == "ids=1,2&tag_names=From%20Email,a%26b%3Dc%2Bd%2F%C3%A9"
    assert parse_qs(request.query) == {"ids": ["1,2"], "tag_names": ["From Email,a&b=c+d/é"]}
    assert request.scope == "ZohoBigin.modules.contacts.WRITE"


def test_one_id_goes_to_the_single_record_endpoint() -> None:
    request = tag_request("remove_tags", "Pipelines", ["7"], ["x y"])
    assert request.path == "/bigin/v2/Pipelines/7/actions/remove_tags"
    assert request.query == "tag_names=x%20y"


def test_add_tags_sends_a_json_body() -> None:
    many = tag_request("add_tags", "Contacts", ["1", "2"], ["a"])
    assert many.path == "/bigin/v2/Contacts/actions/add_tags"
    assert many.query is None
    assert many.json_body == {"tags": [{"name": "a"}], "ids": ["1", "2"]}
    one = tag_request("add_tags", "Contacts", ["1"], ["a"])
    assert one.path == "/bigin/v2/Contacts/1/actions/add_tags"
    assert one.json_body == {"tags": [{"name": "a"}]}


def test_add_tags_in_bigins_v1_form_sends_ids_and_tag_names_as_query_parameters_and_no_body() -> None:
    many = tag_request("add_tags", "Contacts", ["1", "2"], ["a b"], add_tags_form=ADD_TAGS_QUERY)
    assert (many.path, many.query, many.json_body) == (
        "/bigin/v2/Contacts/actions/add_tags",
        "ids=1,2&tag_names=a%20b",
        None,
    )
    one = tag_request("add_tags", "Contacts", ["1"], ["a"], add_tags_form=ADD_TAGS_QUERY)
    assert (one.path, one.query, one.json_body) == (
        "/bigin/v2/Contacts/1/actions/add_tags",
        "tag_names=a",
        None,
    )
    with pytest.raises(ValueError, match="add_tags_form"):
        tag_request("add_tags", "Contacts", ["1"], ["a"], add_tags_form="xml")


def test_encoded_query_survives_requests_url_preparation() -> None:
    import requests

    prepared = requests.Request(
        "POST", "http://127.0.0.1/x?" + encode_query({"tag_names": ["a b", "c,"]})
    ).prepare()
    assert urlsplit(prepared.url).query == "tag_names=a%20b,c%2C"


def test_lists_of_digit_ids_and_of_other_items_encode_alike() -> None:
    assert encode_query({"ids": ["2445013000000402006", "7", ""]}) == "ids=2445013000000402006,7,"
    # Digits of other scripts, and commas inside an item, are still encoded.
    assert encode_query({"ids": ["\u0663", "1"], "x": ["1,2"]}) == "ids=%D9%A3,1&x=1%2C2"
