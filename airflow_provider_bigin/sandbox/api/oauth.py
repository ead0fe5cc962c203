"""Zoho Accounts' token endpoints: the refresh grant, the self-client code grant, and revocation.

Source: docs/zoho-facts.md, section 3. Fields come as form fields or query parameters. An unknown
``grant_type`` gets ``{"error": "unsupported_grant_type"}`` (OAuth 2.0's code; the sandbox's model).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from airflow_provider_bigin.sandbox.accounts import OAUTH_ERROR_HTTP_STATUS, OAuthReply
from airflow_provider_bigin.sandbox.api.endpoints import Handlers
from airflow_provider_bigin.sandbox.api.params import base_url, form_fields
from airflow_provider_bigin.sandbox.state import SandboxState


def accounts_handlers(state: SandboxState) -> Handlers:
    handlers = Handlers()

    def reply(result: OAuthReply) -> JSONResponse:
        if result.granted:
            state.stats.token_grants += 1
        if result.denied:
            state.stats.access_denied += 1
        return JSONResponse(result.body, status_code=result.http_status)

    @handlers("token")
    async def token(request: Request) -> JSONResponse:
        fields = await form_fields(request)
        api_domain = state.config.api_domain or base_url(request)
        client_id, client_secret = fields.get("client_id", ""), fields.get("client_secret", "")
        grant_type = fields.get("grant_type")
        if grant_type == "refresh_token":
            refresh_token = fields.get("refresh_token", "")
            return reply(state.accounts.refresh_grant(client_id, client_secret, refresh_token, api_domain))
        if grant_type == "authorization_code":
            code = fields.get("code", "")
            return reply(state.accounts.authorization_code_grant(client_id, client_secret, code, api_domain))
        return reply(OAuthReply(OAUTH_ERROR_HTTP_STATUS, {"error": "unsupported_grant_type"}))

    @handlers("revoke")
    async def revoke(request: Request) -> JSONResponse:
        fields = await form_fields(request)
        return reply(state.accounts.revoke(fields.get("token", "")))

    return handlers
