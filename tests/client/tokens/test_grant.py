from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.client.tokens.grant import (
    AccessToken,
    TokenBudgetLockout,
    parse_token_reply,
    token_lifetime_seconds,
)
from airflow_provider_bigin.errors import (
    InvalidClientError,
    RevokedRefreshTokenError,
    TokenRequestError,
    UnexpectedResponseError,
)

ACCOUNTS = "https://accounts.zoho.com"
SECRET = "1000.abcdefabcdefabcdefabcdefabcdef12.0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("reply", "seconds"),
    [
        ({"expires_in": 3600}, 3600),
        ({"expires_in": 3600000, "expires_in_sec": 3600}, 3600),  # legacy: ms beside seconds
        ({"expires_in": 3600000}, 3600),  # legacy ms alone
        ({"expires_in": "1800"}, 1800),
        ({}, 3600),
        ({"expires_in": 0}, 3600),
    ],
)
def test_token_lifetime_reads_seconds_and_legacy_milliseconds(reply: dict[str, Any], seconds: float) -> None:
    assert token_lifetime_seconds(reply) == seconds


def test_a_grant_reply_becomes_a_token_with_its_api_domain_and_expiry() -> None:
    token = parse_token_reply(
        {"access_token": SECRET, "expires_in": 3600, "api_domain": "https://www.zohoapis.eu", "scope": "s"},
        accounts_url=ACCOUNTS,
        now=1000.0,
    )
    assert (token.value, token.api_domain, token.expires_at, token.scope) == (
        SECRET,
        "https://www.zohoapis.eu",
        4600.0,
        "s",
    )


def test_token_repr_and_str_hide_the_value() -> None:
    token = AccessToken(SECRET, "https://www.zohoapis.com", 10.0, 0.0)
    assert SECRET not in repr(token)
    assert SECRET not in str(token)


def test_token_freshness_keeps_a_margin_before_expiry() -> None:
    token = AccessToken(SECRET, None, expires_at=4600.0, issued_at=1000.0)
    assert token.is_fresh(300, now=4299.0)
    assert not token.is_fresh(300, now=4301.0)
    short = AccessToken(SECRET, None, expires_at=1200.0, issued_at=1000.0)  # margin capped at half the life
    assert short.is_fresh(300, now=1099.0)
    assert not short.is_fresh(300, now=1101.0)


def test_token_round_trips_through_json_and_damaged_json_is_a_miss() -> None:
    token = AccessToken(SECRET, "https://www.zohoapis.com", 4600.0, 1000.0, "scope")
    assert AccessToken.from_json(token.to_json()) == token
    assert AccessToken.from_json("{") is None
    assert AccessToken.from_json('{"access_token": ""}') is None


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        ({"error": "invalid_client"}, InvalidClientError, "client id.*client secret.*data_center"),
        ({"error": "invalid_code"}, RevokedRefreshTokenError, "Generate a new one"),
        ({"error": "something_new"}, TokenRequestError, "something_new"),
        ({"token_type": "Bearer"}, UnexpectedResponseError, "without an access_token"),
        (["x"], UnexpectedResponseError, "other than JSON"),
    ],
)
def test_grant_errors_map_to_typed_errors_that_say_what_to_do(
    reply: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_token_reply(reply, accounts_url=ACCOUNTS)


def test_access_denied_with_http_200_is_the_token_budget_lockout() -> None:
    reply = {
        "error": "Access Denied",
        "error_description": "You have made too many requests continuously. Please try again after some time",
        "status": "failure",
    }
    with pytest.raises(TokenBudgetLockout):
        parse_token_reply(reply, accounts_url=ACCOUNTS)
