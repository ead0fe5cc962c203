from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.replies import error_for_reply
from airflow_provider_bigin.errors import (
    BadRequestError,
    InvalidTokenError,
    PermissionDeniedError,
    RateLimitedError,
    ScopeMismatchError,
    ServerError,
    UnexpectedResponseError,
)

REQUEST = ApiRequest(
    "POST", "/bigin/v2/Contacts/actions/remove_tags", scope="ZohoBigin.modules.contacts.WRITE"
)


def body(code: str, message: str = "m") -> dict[str, Any]:
    return {"code": code, "details": {}, "message": message, "status": "error"}


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (429, body("TOO_MANY_REQUESTS"), RateLimitedError),
        (500, body("INTERNAL_ERROR"), ServerError),
        (502, ..., ServerError),  # a gateway's HTML page
        (401, body("OAUTH_SCOPE_MISMATCH"), ScopeMismatchError),
        (401, body("AUTHENTICATION_FAILURE"), InvalidTokenError),
        (403, body("NO_PERMISSION"), PermissionDeniedError),
        (403, body("AUTHORIZATION_FAILED"), PermissionDeniedError),
        (400, body("INVALID_MODULE"), BadRequestError),
        (404, body("INVALID_URL_PATTERN"), BadRequestError),
        (405, body("INVALID_REQUEST_METHOD"), BadRequestError),
        (200, ..., UnexpectedResponseError),
        (302, None, UnexpectedResponseError),
    ],
)
def test_whole_request_failures_map_to_one_class_per_meaning(status: int, payload: Any, error: type) -> None:
    assert type(error_for_reply(status, payload, {}, REQUEST)) is error


def test_rate_limit_carries_retry_after_and_scope_errors_name_the_scope() -> None:
    limited = error_for_reply(429, body("TOO_MANY_REQUESTS"), {"Retry-After": "12"}, REQUEST)
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after_seconds == 12.0
    scope = error_for_reply(401, body("OAUTH_SCOPE_MISMATCH"), {}, REQUEST)
    assert isinstance(scope, ScopeMismatchError)
    assert scope.scope == "ZohoBigin.modules.contacts.WRITE"
    assert "add ZohoBigin.modules.contacts.WRITE" in str(scope)
