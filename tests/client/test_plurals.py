"""Counts in messages agree with their nouns: 1 call, 2 calls, 0 records."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.client.bigin import ConnectionCheck
from airflow_provider_bigin.client.plurals import count_noun, noun_for


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 calls"), (1, "1 call"), (2, "2 calls"), (1500, "1500 calls")]
)
def test_count_noun_is_singular_for_exactly_one(count: int, expected: str) -> None:
    assert count_noun(count, "call") == expected


def test_an_irregular_plural_is_given_and_digits_grouped_on_request() -> None:
    assert count_noun(1, "retry", "retries") == "1 retry"
    assert count_noun(3, "retry", "retries") == "3 retries"
    assert count_noun(20_000, "record", thousands=True) == "20,000 records"
    assert noun_for(1, "record") == "record"


@pytest.mark.parametrize(
    ("modules", "said"),
    [(("Contacts",), "; 1 module visible."), (("Contacts", "Pipelines"), "; 2 modules visible.")],
)
def test_the_hook_check_message_counts_modules_rightly(modules: tuple[str, ...], said: str) -> None:
    assert ConnectionCheck("eu", "https://www.zohoapis.eu", modules).message.endswith(said)
