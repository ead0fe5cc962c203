"""The token budget as Zoho enforces it: 10 grants per refresh token in 10 minutes, 15 live tokens."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_bigin.sandbox import Sandbox
from tests.sandbox.conftest import Api, make_api

ACCESS_DENIED = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "status": "failure",
}


def _grants(api: Api, count: int, client: str = "default") -> list[requests.Response]:
    return [api.grant(client) for _ in range(count)]


def test_the_eleventh_grant_in_ten_minutes_gets_access_denied_with_http_200(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    replies = _grants(api, 11)
    assert all("access_token" in reply.json() for reply in replies[:10])
    assert replies[10].status_code == 200
    assert replies[10].json() == ACCESS_DENIED
    stats = bigin_sandbox.stats()
    assert (stats["token_grants"], stats["access_denied"], stats["calls"]["token"]) == (10, 1, 11)


def test_a_lockout_denies_every_grant_until_it_ends_then_the_budget_is_fresh(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    _grants(api, 11)
    bigin_sandbox.advance_clock(600)  # the window has passed, the 15-minute lock-out has not
    assert [reply.json() for reply in _grants(api, 3)] == [ACCESS_DENIED] * 3
    assert bigin_sandbox.stats()["access_denied"] == 4
    bigin_sandbox.advance_clock(301)
    assert all("access_token" in reply.json() for reply in _grants(api, 10))  # a fresh budget


def test_the_budget_is_per_refresh_token(bigin_sandbox: Sandbox, session: requests.Session) -> None:
    api = Api(bigin_sandbox, session, token="")
    _grants(api, 11)
    assert "access_token" in api.grant("readonly").json()


def test_the_window_slides_so_spaced_grants_never_trip_it(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    for _ in range(3):
        assert all("access_token" in reply.json() for reply in _grants(api, 10))
        bigin_sandbox.advance_clock(601)
    assert bigin_sandbox.stats()["access_denied"] == 0


def test_a_sixteenth_live_token_invalidates_the_oldest(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    tokens = [api.token_for() for _ in range(8)]
    bigin_sandbox.advance_clock(601)  # keep inside the grant budget; the tokens live on (one hour)
    tokens += [api.token_for() for _ in range(8)]

    def works(token: str) -> bool:
        return api.get("/bigin/v2/settings/modules", token=token).status_code == 200

    assert not works(tokens[0])
    assert all(works(token) for token in tokens[1:])


def test_expired_tokens_do_not_count_as_live(bigin_sandbox: Sandbox, session: requests.Session) -> None:
    api = Api(bigin_sandbox, session, token="")
    for _ in range(2):
        [api.token_for() for _ in range(8)]
        bigin_sandbox.advance_clock(3601)
    newest = [api.token_for() for _ in range(8)]
    assert all(api.get("/bigin/v2/settings/modules", token=token).status_code == 200 for token in newest)


def test_force_lockout_denies_grants_and_can_be_short(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    bigin_sandbox.force_lockout(bigin_sandbox.refresh_token, seconds=30)
    assert api.grant().json() == ACCESS_DENIED
    assert "access_token" in api.grant("readonly").json()
    bigin_sandbox.advance_clock(31)
    assert "access_token" in api.grant().json()


def test_force_lockout_without_a_token_locks_every_refresh_token(
    bigin_sandbox: Sandbox, session: requests.Session
) -> None:
    api = Api(bigin_sandbox, session, token="")
    bigin_sandbox.force_lockout()
    assert all(api.grant(client).json() == ACCESS_DENIED for client in bigin_sandbox.clients)


def test_access_tokens_issued_before_a_lockout_keep_working(api: Api) -> None:
    api.sandbox.force_lockout()
    assert api.get("/bigin/v2/settings/modules").status_code == 200


def test_limits_and_lockout_length_are_configurable(
    bigin_sandbox_factory: Any, session: requests.Session, small_seed: dict[str, Any]
) -> None:
    sandbox = bigin_sandbox_factory(seed=small_seed, grant_limit=2, lockout_seconds=60, max_live_tokens=1)
    api = make_api(sandbox, session)
    second = api.token_for()
    assert api.get("/bigin/v2/settings/modules").json()["code"] == "INVALID_TOKEN"  # max_live_tokens=1
    assert api.get("/bigin/v2/settings/modules", token=second).status_code == 200
    assert api.grant().json() == ACCESS_DENIED
    sandbox.advance_clock(61)
    assert "access_token" in api.grant().json()
