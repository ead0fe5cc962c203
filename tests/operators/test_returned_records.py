"""Which records return_value holds for a run of a given size."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.operators.returned_records import (
    AUTO_ALL_UP_TO,
    auto_warning,
    check_return_records,
    choose_return,
)


@pytest.mark.parametrize(
    ("records", "mode", "limit"),
    [(0, "all", None), (AUTO_ALL_UP_TO, "all", None), (AUTO_ALL_UP_TO + 1, "failed", AUTO_ALL_UP_TO)],
)
def test_auto_returns_every_record_up_to_the_threshold_then_only_failures(
    records: int, mode: str, limit: int | None
) -> None:
    choice = choose_return("auto", records)
    assert (choice.mode, choice.limit) == (mode, limit)
    assert f"{records:,} records" in choice.reason


@pytest.mark.parametrize("requested", ["all", "failed", "none"])
def test_an_explicit_choice_holds_whatever_the_size(requested: str) -> None:
    choice = choose_return(requested, 10_000_000)
    assert (choice.mode, choice.limit) == (requested, None)


def test_the_auto_warning_names_the_other_choices_and_where_every_record_is() -> None:
    choice = choose_return("auto", 100_000)
    assert "set results_path" in auto_warning(choice, None)
    with_file = auto_warning(choice, "s3://bucket/run.jsonl")
    assert "every record's outcome is in s3://bucket/run.jsonl" in with_file
    assert all(option in with_file for option in ("'all'", "'failed'", "'none'"))


@pytest.mark.parametrize(("value", "expected"), [(" ALL ", "all"), ("Failed", "failed"), ("none", "none")])
def test_choices_are_read_case_and_space_insensitively(value: str, expected: str) -> None:
    assert check_return_records(value) == expected


@pytest.mark.parametrize("value", ["every", "", None, True])
def test_anything_else_is_refused_naming_the_choices(value: object) -> None:
    with pytest.raises(InvalidInputError, match="'auto', 'all', 'failed', 'none'"):
        check_return_records(value)
