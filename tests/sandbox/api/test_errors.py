"""Whole-request errors, each where the real service gives it, in Zoho's body shape."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import SAMPLE_IDS, Api

REMOVE = "/bigin/v2/Contacts/actions/remove_tags"
ERROR_KEYS = {"code", "details", "message", "status"}


def _error(reply: object) -> dict[str, object]:
    body = reply.json()  # type: ignore[attr-defined]
    assert set(body) == ERROR_KEYS
    assert body["status"] == "error"
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "path",
    [
        "/bigin/v2/Contacts/actions/remove_tag",
        "/bigin/v1/Contacts/actions/remove_tags",
        "/crm/v2/Leads",
        "/",
        REMOVE + "/",
    ],
)
def test_an_unknown_path_is_invalid_url_pattern(api: Api, path: str) -> None:
    reply = api.post(path, params={"ids": SAMPLE_IDS[0], "tag_names": "VIP"})
    assert reply.status_code == 404
    assert _error(reply)["code"] == "INVALID_URL_PATTERN"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", REMOVE),
        ("PUT", REMOVE),
        ("DELETE", f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}/actions/remove_tags"),
        ("POST", "/bigin/v2/Contacts"),
        ("DELETE", "/bigin/v2/settings/modules"),
    ],
)
def test_a_wrong_method_is_invalid_request_method(api: Api, method: str, path: str) -> None:
    reply = api.call(method, path, params={"ids": SAMPLE_IDS[0], "tag_names": "VIP"})
    assert reply.status_code == 405
    assert _error(reply)["message"] == "The http request method type is not a valid one"


@pytest.mark.parametrize("module", ["Companies", "Deals", "contacts", "Leads"])
def test_a_module_that_is_not_an_api_name_is_invalid_module(api: Api, module: str) -> None:
    reply = api.post(
        f"/bigin/v2/{module}/actions/remove_tags", params={"ids": SAMPLE_IDS[0], "tag_names": "VIP"}
    )
    assert reply.status_code == 400
    assert _error(reply)["code"] == "INVALID_MODULE"


def test_a_token_without_the_modules_write_scope_gets_scope_mismatch_naming_the_scope(api: Api) -> None:
    readonly = api.token_for("readonly")
    reply = api.remove_tags(SAMPLE_IDS, "VIP", token=readonly)
    assert reply.status_code == 401
    body = _error(reply)
    assert body["code"] == "OAUTH_SCOPE_MISMATCH"
    assert "ZohoBigin.modules.contacts.WRITE" in body["details"]["permissions"]  # type: ignore[index]
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]
    assert api.get("/bigin/v2/Contacts", params={"fields": "Email"}, token=readonly).status_code == 200


@pytest.mark.parametrize(
    ("client", "code", "message"),
    [
        ("noperm", "NO_PERMISSION", "Permission denied to remove tags"),
        ("noprivilege", "AUTHORIZATION_FAILED", "User does not have sufficient privilege to remove tags"),
    ],
)
def test_a_user_without_permission_gets_403_but_may_read(
    api: Api, client: str, code: str, message: str
) -> None:
    token = api.token_for(client)
    reply = api.remove_tags(SAMPLE_IDS, "VIP", token=token)
    assert reply.status_code == 403
    assert (_error(reply)["code"], _error(reply)["message"]) == (code, message)
    add = api.post(
        f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}/actions/add_tags", json={"tags": [{"name": "X"}]}, token=token
    )
    assert add.status_code == 403
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]
    assert api.get(f"/bigin/v2/Contacts/{SAMPLE_IDS[0]}", token=token).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer {token}"},
        {"Authorization": "Zoho-oauthtoken"},
        {"Authorization": "{token}"},
    ],
)
def test_no_zoho_oauthtoken_header_is_authentication_failure(
    api: Api, session: object, headers: dict[str, str]
) -> None:
    sent = {name: value.format(token=api.token) for name, value in headers.items()}
    reply = api.session.post(
        f"{api.sandbox.url}{REMOVE}",
        params={"ids": SAMPLE_IDS[0], "tag_names": "VIP"},
        headers=sent,
        timeout=30,
    )
    assert reply.status_code == 401
    assert _error(reply)["code"] == "AUTHENTICATION_FAILURE"


def test_an_unknown_token_is_invalid_token_even_on_an_unknown_module(api: Api) -> None:
    for path in (REMOVE, "/bigin/v2/Deals/actions/remove_tags"):
        reply = api.post(path, params={"ids": SAMPLE_IDS[0], "tag_names": "VIP"}, token="1000.nope.nope")
        assert reply.status_code == 401
        assert _error(reply)["code"] == "INVALID_TOKEN"


def test_an_expired_token_is_invalid_token(api: Api) -> None:
    api.sandbox.advance_clock(3600)
    reply = api.remove_tags(SAMPLE_IDS, "VIP")
    assert reply.status_code == 401
    assert _error(reply) == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_a_token_a_moment_before_expiry_still_works(api: Api) -> None:
    api.sandbox.advance_clock(3590)
    assert api.remove_tags(SAMPLE_IDS, "VIP").status_code == 200


def test_expire_access_tokens_makes_every_live_token_invalid(api: Api) -> None:
    other = api.token_for("readonly")
    assert api.sandbox.expire_access_tokens() == 2
    assert api.remove_tags(SAMPLE_IDS, "VIP").json()["code"] == "INVALID_TOKEN"
    assert api.get("/bigin/v2/settings/modules", token=other).json()["code"] == "INVALID_TOKEN"
    assert api.remove_tags(SAMPLE_IDS, "VIP", token=api.token_for()).status_code == 200
