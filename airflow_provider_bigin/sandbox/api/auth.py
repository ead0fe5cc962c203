"""The checks every Bigin API call passes, in Zoho's order: token, module, scope, user permission.

The order is the sandbox's model: a request with no valid token learns nothing about modules, and a token
without the scope learns nothing about the user's permissions.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from airflow_provider_bigin.sandbox.accounts import AccessToken
from airflow_provider_bigin.sandbox.api import errors as api_errors
from airflow_provider_bigin.sandbox.modules import ModuleInfo, find_module
from airflow_provider_bigin.sandbox.scopes import grants_any
from airflow_provider_bigin.sandbox.state import SandboxState

# "Authorization: Zoho-oauthtoken <token>", not Bearer: the Remove Tags page (docs/zoho-facts.md, section 6)
AUTH_SCHEME = "zoho-oauthtoken"


def authenticate(state: SandboxState, request: Request) -> AccessToken:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.casefold() != AUTH_SCHEME or not token.strip():
        raise api_errors.authentication_failure()
    access = state.accounts.authenticate(token.strip())
    if access is None:
        raise api_errors.invalid_token(state.faults.profile.invalid_token_status)
    return access


def module_named(name: str) -> ModuleInfo:
    info = find_module(name)
    if info is None:
        raise api_errors.invalid_module(name)
    return info


def require_scope(access: AccessToken, accepted: Sequence[str]) -> None:
    if not grants_any(access.scopes, accepted):
        raise api_errors.scope_mismatch(accepted)


def require_write_permission(access: AccessToken, action: str) -> None:
    if access.write_denial == "AUTHORIZATION_FAILED":
        raise api_errors.authorization_failure(action)
    if access.write_denial is not None:
        raise api_errors.no_permission(action)
