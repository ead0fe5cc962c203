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


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["0123"], r"record_ids\[0\] is '0123': a record id is a number and never starts with 0"),
        (["0"], r"record_ids\[0\] is '0': a record id is a number and never starts with 0"),
        ([BIG, " 007 "], r"record_ids\[1\] is '007': .* never starts with 0"),
        ([("0012",)], r"record_ids\[0\]\[0\] is '0012'"),
        ([{"id": "0012"}], r"record_ids\[0\]\['id'\] is '0012'"),
        ("22, 0123", "record_ids item 1 is '0123'"),
        (
            ["1" * 26],
            r"record_ids\[0\] is '1{26}' \(26 digits\): longer than a record id can be \(at most 25",
        ),
        ([10**25], r"record_ids\[0\] is 10{25}: longer than a record id can be"),
        ([10**5000], r"record_ids\[0\] is <int>: about 5001 digits, longer than a record id can be"),
        ([Decimal("1e99999999")], r"is Decimal\('1E\+99999999'\): longer than a record id can be"),
        (f"[{'1' * 30}]", r"record_ids\[0\] is 1{30}: longer"),
    ],
)
def test_ids_that_no_bigin_record_can_have_are_refused(value: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        normalise_record_ids(value)


def test_the_longest_and_shortest_ids_that_can_be_right_are_kept() -> None:
    assert normalise_record_ids(["1" * 25, "9", 10**25 - 1]) == ["1" * 25, "9", str(10**25 - 1)]


@pytest.mark.parametrize("count", [10, 250_000])  # below and above the sorted duplicate check
def test_a_leading_zero_among_many_clean_ids_is_found_with_its_position_and_the_count(count: int) -> None:
    ids = [str(10**18 + n) for n in range(count)]
    ids[7], ids[-1] = "0" + ids[7], "00" + ids[-1]
    with pytest.raises(InvalidInputError) as caught:
        normalise_record_ids(ids)
    message = str(caught.value)
    assert message.startswith(f"record_ids[7] is '0{10**18 + 7}': a record id is a number")
    assert message.endswith(f"2 of {count:,} record ids are refused; the first is shown.")


def test_the_message_counts_every_bad_id_but_shows_only_the_first() -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalise_record_ids([BIG, "x", None, "0123", 1.5, "22"])
    message = str(caught.value)
    assert message.startswith("record_ids[1] is 'x': a record id is a string of digits.")
    assert message.endswith("4 of 6 record ids are refused; the first is shown.")
    assert "None" not in message
    assert "1.5" not in message


@pytest.mark.parametrize("depth", [3, 900, 100_000])
def test_ids_nested_too_deep_are_refused_without_a_recursion_error(depth: int) -> None:
    with pytest.raises(InvalidInputError, match=r"record_ids\[0\] nests too deep: \[\[\["):
        normalise_record_ids(_nested(depth))
    with pytest.raises(InvalidInputError, match=r"record_ids\[0\]\['id'\] is a list"):
        normalise_record_ids([{"id": _nested(depth)}])


@pytest.mark.parametrize("depth", [10, 100_000])
def test_a_template_string_nested_too_deep_is_refused_without_a_recursion_error(depth: int) -> None:
    text = "[" * depth + "]" * depth
    with pytest.raises(InvalidInputError, match="nests too deep"):
        normalise_record_ids(text)
    with pytest.raises(InvalidInputError, match=r"tag_names\[0\] is a list|tag_names nests too deep"):
        normalise_tag_names(text)


@pytest.mark.parametrize(
    ("character", "shown"),
    [
        ("\r", r"'\\r'"),
        ("\n", r"'\\n'"),
        ("\x00", r"'\\x00'"),
        ("\t", r"'\\t'"),
        ("\x1b", r"'\\x1b'"),
        ("\x7f", r"'\\x7f'"),
        ("\x85", r"'\\x85'"),
        ("\x9f", r"'\\x9f'"),
    ],
)
def test_tag_names_with_a_control_character_are_refused_naming_it_and_where(
    character: str, shown: str
) -> None:
    with pytest.raises(
        InvalidInputError, match=rf"tag_names\[1\] .* contains the control character {shown} at position 3"
    ):
        normalise_tag_names(["VIP", f"Hot{character}Lead"])
    with pytest.raises(InvalidInputError, match=rf"tag_names item 0 .* control character {shown}"):
        normalise_tag_names(f"Hot{character}Lead, VIP")


def test_tag_names_keep_trimming_outer_whitespace_and_accept_other_unicode() -> None:
    assert normalise_tag_names([" VIP\n", "Café ☕", "a" * 100]) == ["VIP", "Café ☕", "a" * 100]


def test_tag_names_longer_than_a_hundred_characters_are_refused_with_the_count() -> None:
    with pytest.raises(InvalidInputError) as caught:
        normalise_tag_names(["VIP", "x" * 101, "y" * 5000])
    message = str(caught.value)
    assert message.startswith("tag_names[1] 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... is 101 characters long")
    assert "a tag name has at most 100" in message
    assert message.endswith("2 of 3 tag names are refused; the first is shown.")
    assert len(message) < 250
