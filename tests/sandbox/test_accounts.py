"""Zoho Accounts: the refresh grant, self-client codes, revocation and OAuth's error replies."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.sandbox.conftest import SAMPLE_IDS, Api, make_api

TOKEN_SHAPE = re.compile(r"^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$")


def _exchange(api: Api, code: str, client: str = "default") -> requests.Response:
    credentials = api.sandbox.credentials(client)
    form = {
        "grant_type": "authorization_code",
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "code": code,
    }
    return api.session.post(f"{api.sandbox.url}/oauth/v2/token", data=form, timeout=30)


def test_refresh_grant_replies_like_zoho(api: Api) -> None:
    reply = api.grant()
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"access_token", "expires_in", "api_domain", "token_type", "scope"}
    assert TOKEN_SHAPE.match(body["access_token"])
    assert body["expires_in"] == 3600
    assert body["api_domain"] == api.sandbox.url
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "ZohoBigin.modules.ALL,ZohoBigin.settings.ALL"


@pytest.mark.usefixtures("secrets_in_urls")
@pytest.mark.secrets_audit_exempt(
    reason="Zoho accepts grant fields as query parameters, and urllib3 logs the URL",
    channels=("log", "test report"),
)
def test_refresh_grant_fields_may_come_as_query_parameters(api: Api) -> None:
    credentials = api.sandbox.credentials()
    params = {
        "grant_type": "refresh_token",
        **{k: credentials[k] for k in ("client_id", "client_secret", "refresh_token")},
    }
    reply = api.session.post(f"{api.sandbox.url}/oauth/v2/token", params=params, timeout=30)
    assert "access_token" in reply.json()


def test_each_grant_mints_a_distinct_working_token(api: Api) -> None:
    tokens = {api.token_for() for _ in range(3)}
    assert len(tokens) == 3
    assert all(api.get("/bigin/v2/settings/modules", token=token).status_code == 200 for token in tokens)


def test_a_wrong_secret_or_unknown_client_is_invalid_client_with_http_200(api: Api) -> None:
    for overrides in ({"client_secret": "wrong"}, {"client_id": "1000.UNKNOWN"}, {"client_id": ""}):
        reply = api.grant(**overrides)
        assert reply.status_code == 200
        assert reply.json() == {"error": "invalid_client"}


def test_an_unknown_or_foreign_refresh_token_is_invalid_code(api: Api) -> None:
    foreign = api.sandbox.credentials("readonly")["refresh_token"]
    for refresh_token in ("1000.unknown.token", foreign, ""):
        assert api.grant(refresh_token=refresh_token).json() == {"error": "invalid_code"}


def test_an_unknown_grant_type_is_refused(api: Api) -> None:
    assert api.grant(grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_a_self_client_code_gives_a_refresh_token_that_works(api: Api) -> None:
    code = api.sandbox.issue_grant_code()
    reply = _exchange(api, code)
    body = reply.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "api_domain", "token_type", "scope"}
    assert TOKEN_SHAPE.match(body["refresh_token"])
    again = api.grant(refresh_token=body["refresh_token"]).json()
    assert api.remove_tags(SAMPLE_IDS, "VIP", token=again["access_token"]).status_code == 200


def test_a_self_client_code_works_once(api: Api) -> None:
    code = api.sandbox.issue_grant_code()
    assert "access_token" in _exchange(api, code).json()
    assert _exchange(api, code).json() == {"error": "invalid_code"}


def test_a_self_client_code_expires(api: Api) -> None:
    code = api.sandbox.issue_grant_code()
    api.sandbox.advance_clock(181)
    assert _exchange(api, code).json() == {"error": "invalid_code"}


def test_a_self_client_code_is_only_for_its_client(api: Api) -> None:
    code = api.sandbox.issue_grant_code("default")
    assert _exchange(api, code, client="readonly").json() == {"error": "invalid_code"}
    assert _exchange(api, "1000.never.issued").json() == {"error": "invalid_code"}
    credentials = api.sandbox.credentials()
    wrong_secret = {
        "grant_type": "authorization_code",
        "client_id": credentials["client_id"],
        "client_secret": "x",
    }
    reply = api.session.post(
        f"{api.sandbox.url}/oauth/v2/token", data={**wrong_secret, "code": code}, timeout=30
    )
    assert reply.json() == {"error": "invalid_client"}


def test_a_self_client_code_carries_the_scope_it_was_issued_with(api: Api) -> None:
    code = api.sandbox.issue_grant_code(scope="ZohoBigin.modules.contacts.READ")
    body = _exchange(api, code).json()
    assert body["scope"] == "ZohoBigin.modules.contacts.READ"
    assert (
        api.remove_tags(SAMPLE_IDS, "VIP", token=body["access_token"]).json()["code"]
        == "OAUTH_SCOPE_MISMATCH"
    )


@pytest.mark.usefixtures("secrets_in_urls")
def test_revoking_a_refresh_token_kills_it_and_its_access_tokens(api: Api) -> None:
    revoke = api.session.post(
        f"{api.sandbox.url}/oauth/v2/token/revoke", params={"token": api.sandbox.refresh_token}, timeout=30
    )
    assert revoke.status_code == 200
    assert revoke.json() == {"status": "success"}
    assert api.grant().json() == {"error": "invalid_code"}
    assert api.remove_tags(SAMPLE_IDS, "VIP").json()["code"] == "INVALID_TOKEN"
    assert "access_token" in api.grant("readonly").json()


def test_revoking_an_unknown_token_is_invalid_code(api: Api) -> None:
    reply = api.session.post(
        f"{api.sandbox.url}/oauth/v2/token/revoke", params={"token": "1000.x.y"}, timeout=30
    )
    assert reply.json() == {"error": "invalid_code"}


def test_the_token_reply_can_name_another_api_domain(
    bigin_sandbox_factory: Any, session: requests.Session, small_seed: dict[str, Any]
) -> None:
    sandbox = bigin_sandbox_factory(seed=small_seed, api_domain="https://www.zohoapis.eu")
    assert make_api(sandbox, session).grant().json()["api_domain"] == "https://www.zohoapis.eu"


def test_the_token_lifetime_is_configurable(
    bigin_sandbox_factory: Any, session: requests.Session, small_seed: dict[str, Any]
) -> None:
    sandbox = bigin_sandbox_factory(seed=small_seed, token_ttl=60)
    api = make_api(sandbox, session)
    assert api.grant().json()["expires_in"] == 60
    sandbox.advance_clock(61)
    assert api.get("/bigin/v2/settings/modules").json()["code"] == "INVALID_TOKEN"
