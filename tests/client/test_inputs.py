from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from airflow_provider_bigin.client.inputs import normalise_record_ids, normalise_tag_names, resolve_module
from airflow_provider_bigin.errors import InvalidInputError

BIG = "2445013000000402006"  # 19 digits: more than a float can hold


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([BIG, "2445013000000141005"], [BIG, "2445013000000141005"]),
        ((1, 2), ["1", "2"]),
        ([2445013000000402006], [BIG]),
        (BIG, [BIG]),
        (2445013000000402006, [BIG]),
        (f" {BIG} , 22,\n33 ", [BIG, "22", "33"]),
        (f'["{BIG}", 22]', [BIG, "22"]),
        ("[2445013000000402006]", [BIG]),  # JSON integers are exact in Python
        (f"[('{BIG}',), ('22',)]", [BIG, "22"]),  # a non-native Jinja render of SQL rows
        ([(BIG,), ("22",)], [BIG, "22"]),
        ([[22]], ["22"]),
        ([{"id": BIG}, {"ID": 22}, {"Id": "33"}], [BIG, "22", "33"]),
        ({"id": "5"}, ["5"]),
        ([Decimal("2445013000000402006")], [BIG]),
        (iter(["1", "2"]), ["1", "2"]),
        ([], []),
        ("", []),
        ("[]", []),
    ],
)
def test_record_ids_accept_the_shapes_dags_produce(value: Any, expected: list[str]) -> None:
    assert normalise_record_ids(value) == expected


def test_record_ids_are_deduplicated_in_first_seen_order_and_trimmed() -> None:
    assert normalise_record_ids(["3", " 1", 3, "1 ", ("2",), {"id": 3}]) == ["3", "1", "2"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1.0], r"record_ids\[0\] is the float 1\.0: 19-digit Bigin ids do not survive floats"),
        ("[1.5]", r"record_ids\[0\] is the float"),
        ([True], r"record_ids\[0\] is True"),
        (["1", None], r"record_ids\[1\] is None"),
        (None, "record_ids is None"),
        (["12a"], r"record_ids\[0\] is '12a': a record id is a string of digits"),
        (["1", " "], r"record_ids\[1\]"),
        ("12, x9", "record_ids item 1 is 'x9'"),
        ([("1", "2")], r"record_ids\[0\] is a row of 2 columns"),
        ([[["1"]]], r"record_ids\[0\] nests too deep"),
        ([{"name": "x"}], r"record_ids\[0\] is a dict with no 'id' key"),
        ([{"id": 1, "ID": 1}], "several id keys"),
        ([-4], "positive"),
        ([Decimal("1.5")], "not a whole positive number"),
        (b"123", "bytes"),
        ("[1, 2", "neither JSON nor a Python literal"),
        ([object()], r"record_ids\[0\] is a object"),
    ],
)
def test_record_ids_refuse_bad_values_naming_their_position(value: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        normalise_record_ids(value)


def test_record_id_errors_do_not_dump_the_whole_list() -> None:
    ids = [str(n) for n in range(1, 10_000)] + ["bad" * 100]
    with pytest.raises(InvalidInputError) as caught:
        normalise_record_ids(ids)
    assert "record_ids[9999]" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_invalid_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="float"):
        normalise_record_ids([1.5])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["From Email", " In progress "], ["From Email", "In progress"]),
        ("From Email, In progress,", ["From Email", "In progress"]),
        ('["a", "b"]', ["a", "b"]),
        (("x", "x", "y"), ["x", "y"]),
        (["Hot", "hot"], ["Hot", "hot"]),  # case variants are both kept: Bigin's case rule is unconfirmed
    ],
)
def test_tag_names_are_trimmed_and_deduplicated(value: Any, expected: list[str]) -> None:
    assert normalise_tag_names(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["a,b"], r"tag_names\[0\] 'a,b' contains a comma"),
        (["ok", ""], r"tag_names\[1\] is empty"),
        (["  "], r"tag_names\[0\] is empty"),
        ([], "tag_names is empty"),
        (" , ", "tag_names is empty"),
        (None, "tag_names is None"),
        ([1], r"tag_names\[0\] is a int"),
        ({"a": 1}, "tag_names is a dict"),
    ],
)
def test_tag_names_refuse_empty_and_comma_bearing_names(value: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        normalise_tag_names(value)


@pytest.mark.parametrize(
    ("name", "api_name"),
    [("Contacts", "Contacts"), ("contacts", "Contacts"), (" PIPELINES ", "Pipelines"), ("calls", "Calls")],
)
def test_modules_resolve_to_api_names(name: str, api_name: str) -> None:
    assert resolve_module(name) == api_name


@pytest.mark.parametrize(("alias", "api_name"), [("Companies", "Accounts"), ("deals", "Pipelines")])
def test_module_aliases_map_and_say_so_in_the_log(
    alias: str, api_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="airflow_provider_bigin.client.inputs"):
        assert resolve_module(alias) == api_name
    assert f"using '{api_name}'" in caplog.text


@pytest.mark.parametrize("name", ["Leads", "", None, 3])
def test_unknown_modules_are_refused_with_the_valid_names(name: Any) -> None:
    with pytest.raises(InvalidInputError, match="Contacts, Pipelines, Accounts"):
        resolve_module(name)


@pytest.mark.parametrize("count", [99_999, 100_000, 250_000])
def test_large_lists_keep_first_seen_order_whichever_way_duplicates_are_looked_for(count: int) -> None:
    """Lists of 100,000 ids and more are checked in a sorted copy: the outcome must not differ."""
    unique = [str(10**18 + (n * 7919) % count) for n in range(count)]  # a permutation, not sorted
    assert normalise_record_ids(unique) == unique
    with_duplicates = [*unique, unique[5], unique[0], unique[-1]]
    assert normalise_record_ids(with_duplicates) == unique


def test_clean_string_ids_are_the_callers_own_objects_not_copies() -> None:
    ids = [str(10**18 + n) for n in range(100_000)]
    assert all(a is b for a, b in zip(normalise_record_ids(ids), ids, strict=True))
