"""Whole-request errors of the Bigin API, in Zoho's body shape ``{"code", "details", "message", "status"}``.

Codes, messages and HTTP statuses come from the error table of Zoho's Remove Tags page (docs/zoho-facts.md,
section 6) and from docs/zoho-facts.md, section 1; where neither gives a code (missing Authorization header,
too many ids, missing parameter) the function below says which code the sandbox uses and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ApiError(Exception):
    """A Bigin API call that fails as a whole; rendered by the app's exception handler."""

    def __init__(self, http_status: int, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status = http_status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}


def invalid_url() -> ApiError:
    return ApiError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")


def invalid_method() -> ApiError:
    return ApiError(405, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one")


def invalid_module(name: str) -> ApiError:
    return ApiError(400, "INVALID_MODULE", "The module name given seems to be invalid", {"api_name": name})


def scope_mismatch(accepted: Sequence[str]) -> ApiError:
    """``details.permissions`` lists the scopes of which any one would do, as Zoho CRM's reply does."""
    return ApiError(
        401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", {"permissions": list(accepted)}
    )


def no_permission(action: str) -> ApiError:
    return ApiError(403, "NO_PERMISSION", f"Permission denied to {action}", {"permissions": [action]})


def authorization_failure(action: str) -> ApiError:
    """The second 403 of Zoho's Remove Tags page (docs/zoho-facts.md, section 6).

    Its HTTP status is unconfirmed: the sandbox answers 403, like NO_PERMISSION.
    """
    return ApiError(403, "AUTHORIZATION_FAILED", f"User does not have sufficient privilege to {action}")


def invalid_token(http_status: int = 401) -> ApiError:
    """An expired, revoked, evicted or unknown access token (Zoho CRM's code for it).

    401 as Bigin documents; 400 when the profile's ``invalid_token_status`` says so, as another Zoho service
    answers (docs/zoho-facts.md, section 5).
    """
    return ApiError(http_status, "INVALID_TOKEN", "invalid oauth token")


def authentication_failure() -> ApiError:
    """No ``Authorization: Zoho-oauthtoken ...`` header (missing, or another scheme such as ``Bearer``).

    The sandbox's model: a code distinct from INVALID_TOKEN (Zoho CRM's AUTHENTICATION_FAILURE), so that a
    client's "401 INVALID_TOKEN: refresh once and retry" path cannot hide a malformed header.
    """
    return ApiError(401, "AUTHENTICATION_FAILURE", "Authentication failed")


def too_many_requests() -> ApiError:
    """No ``Retry-After`` header: Zoho documents none (docs/zoho-facts.md, section 1)."""
    return ApiError(
        429, "TOO_MANY_REQUESTS", "You have made too many requests. Please try again after some time."
    )


def internal_error() -> ApiError:
    return ApiError(500, "INTERNAL_ERROR", "Internal Server Error")


def required_param_missing(param_name: str) -> ApiError:
    return ApiError(
        400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param_name": param_name}
    )


def limit_exceeded(param_name: str, limit: int) -> ApiError:
    """More ids than one call may carry; the sandbox's model of the code (Zoho CRM's LIMIT_EXCEEDED)."""
    return ApiError(
        400,
        "LIMIT_EXCEEDED",
        f"the number of {param_name} given exceeds the limit",
        {"param_name": param_name, "limit": limit},
    )


def url_too_long() -> ApiError:
    """A request refused for its URL length, the 400 way (the profile's ``url_too_long_status``).

    Zoho documents no such reply: the sandbox's model is Zoho's error shape with INVALID_REQUEST (the code a
    malformed request gets, docs/zoho-facts.md, section 5) and a message that names the URL.
    """
    return ApiError(400, "INVALID_REQUEST", "The request URL is too long", {"reason": "url_too_long"})


def invalid_data(message: str, details: dict[str, Any]) -> ApiError:
    return ApiError(400, "INVALID_DATA", message, details)
