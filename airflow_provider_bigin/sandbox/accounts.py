"""Zoho Accounts in memory: refresh and self-client code grants, access tokens, revocation, the token budget.

Source: docs/zoho-facts.md, section 3. The budget: at most ``grant_limit`` (10) grants per refresh
token in any ``grant_window_seconds`` (600); the next one gets HTTP 200 with the Access Denied body and locks
the refresh token out for ``lockout_seconds`` (900; practitioners report 15 to 30 minutes). The sandbox's
model: the lock-out runs from the grant that tripped it and is not extended by grants tried during it (each
of them is denied and counted); when it ends, the budget starts afresh. At most ``max_live_tokens`` (15)
access tokens live per refresh token: a 16th invalidates the oldest. Time is the monotonic clock plus an
offset that tests can advance.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_bigin.sandbox.clients import ClientSpec, WriteDenial
from airflow_provider_bigin.sandbox.scopes import parse_scope

# Zoho answers OAuth errors in the body, with HTTP 200 or 400 (docs/zoho-facts.md, section 3). The sandbox
# uses 200, the harder case for a client: the transport says OK and only the body says otherwise.
OAUTH_ERROR_HTTP_STATUS = 200
ACCESS_DENIED_BODY: dict[str, str] = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "status": "failure",
}


@dataclass(frozen=True)
class TokenPolicy:
    token_ttl: float = 3600.0  # access tokens live one hour
    lockout_seconds: float = 900.0
    grant_limit: int = 10  # grants per refresh token ...
    grant_window_seconds: float = 600.0  # ... in any 10 minutes
    max_live_tokens: int = 15  # a 16th invalidates the oldest
    grant_code_ttl: float = 180.0  # self-client codes live 3 to 10 minutes; the sandbox takes the shortest


@dataclass(frozen=True)
class OAuthReply:
    """What the token endpoint answers, and how it counts in the stats."""

    http_status: int
    body: dict[str, Any]
    granted: bool = False
    denied: bool = False


class Clock:
    """Monotonic seconds, plus an offset so that tests can jump past a TTL or a lock-out without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class AccessToken:
    token: str
    refresh_token: str
    client_name: str
    scopes: frozenset[str]
    write_denial: WriteDenial | None
    expires_at: float


@dataclass
class _RefreshToken:
    token: str
    client: ClientSpec
    scope: str
    grant_times: deque[float] = field(default_factory=deque)
    locked_until: float = float("-inf")
    live: deque[str] = field(default_factory=deque)


@dataclass
class _GrantCode:
    client: ClientSpec
    scope: str
    expires_at: float


def _token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def _error(code: str) -> OAuthReply:
    return OAuthReply(OAUTH_ERROR_HTTP_STATUS, {"error": code})


class Accounts:
    """The accounts server's state for one sandbox."""

    def __init__(self, clients: Iterable[ClientSpec], policy: TokenPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._secrets = {client.client_id: client.client_secret for client in clients}
        self._refresh: dict[str, _RefreshToken] = {}
        self._access: dict[str, AccessToken] = {}
        self._codes: dict[str, _GrantCode] = {}
        for client in clients:
            self._refresh[client.refresh_token] = _RefreshToken(client.refresh_token, client, client.scope)

    def _client_ok(self, client_id: str, client_secret: str) -> bool:
        expected = self._secrets.get(client_id)
        return expected is not None and secrets.compare_digest(expected, client_secret)

    def refresh_grant(
        self, client_id: str, client_secret: str, refresh_token: str, api_domain: str
    ) -> OAuthReply:
        if not self._client_ok(client_id, client_secret):
            return _error("invalid_client")
        refresh = self._refresh.get(refresh_token)
        if refresh is None or refresh.client.client_id != client_id:
            return _error("invalid_code")
        now = self.clock.now()
        if refresh.locked_until > now:
            return OAuthReply(200, dict(ACCESS_DENIED_BODY), denied=True)
        while refresh.grant_times and refresh.grant_times[0] <= now - self.policy.grant_window_seconds:
            refresh.grant_times.popleft()
        if len(refresh.grant_times) >= self.policy.grant_limit:
            refresh.locked_until = now + self.policy.lockout_seconds
            refresh.grant_times.clear()  # when the lock-out ends, the budget starts afresh
            return OAuthReply(200, dict(ACCESS_DENIED_BODY), denied=True)
        refresh.grant_times.append(now)
        return OAuthReply(200, self._issue(refresh, api_domain), granted=True)

    def _issue(self, refresh: _RefreshToken, api_domain: str) -> dict[str, Any]:
        now = self.clock.now()
        live = [
            token for token in refresh.live if token in self._access and self._access[token].expires_at > now
        ]
        refresh.live = deque(live)
        while len(refresh.live) >= self.policy.max_live_tokens:
            self._access.pop(refresh.live.popleft(), None)
        token = _token()
        self._access[token] = AccessToken(
            token=token,
            refresh_token=refresh.token,
            client_name=refresh.client.name,
            scopes=parse_scope(refresh.scope),
            write_denial=refresh.client.write_denial,
            expires_at=now + self.policy.token_ttl,
        )
        refresh.live.append(token)
        return {
            "access_token": token,
            "expires_in": int(self.policy.token_ttl),
            "api_domain": api_domain,
            "token_type": "Bearer",
            "scope": refresh.scope,
        }

    def authorization_code_grant(
        self, client_id: str, client_secret: str, code: str, api_domain: str
    ) -> OAuthReply:
        """Exchange a self-client code (single use, short-lived) for a new refresh token and access token."""
        if not self._client_ok(client_id, client_secret):
            return _error("invalid_client")
        grant = self._codes.pop(code, None)  # a code is spent by its first use, even a failed one
        if grant is None or grant.expires_at <= self.clock.now() or grant.client.client_id != client_id:
            return _error("invalid_code")
        refresh = _RefreshToken(_token(), grant.client, grant.scope)
        self._refresh[refresh.token] = refresh
        body = self._issue(refresh, api_domain)
        return OAuthReply(200, {**body, "refresh_token": refresh.token}, granted=True)

    def issue_grant_code(self, client: ClientSpec, scope: str | None = None) -> str:
        """What "Generate Code" in Zoho's API console gives: a code for ``grant_type=authorization_code``."""
        code = _token()
        self._codes[code] = _GrantCode(
            client, scope or client.scope, self.clock.now() + self.policy.grant_code_ttl
        )
        return code

    def revoke(self, token: str) -> OAuthReply:
        """Revoke a refresh token (its access tokens die with it) or a single access token."""
        refresh = self._refresh.pop(token, None)
        if refresh is not None:
            for access in refresh.live:
                self._access.pop(access, None)
            return OAuthReply(200, {"status": "success"})
        if self._access.pop(token, None) is not None:
            return OAuthReply(200, {"status": "success"})
        return _error("invalid_code")

    def authenticate(self, token: str) -> AccessToken | None:
        """The live access token, or None when it is unknown, expired, evicted or revoked."""
        access = self._access.get(token)
        if access is None:
            return None
        if access.expires_at <= self.clock.now():
            del self._access[token]
            return None
        return access

    def expire_access_tokens(self) -> int:
        """Expire every live access token now; returns how many there were."""
        count = len(self._access)
        self._access.clear()
        return count

    def force_lockout(self, refresh_token: str | None = None, seconds: float | None = None) -> int:
        """Lock one refresh token (or all) out as if its budget had tripped; returns how many were locked."""
        until = self.clock.now() + (self.policy.lockout_seconds if seconds is None else seconds)
        locked = 0
        for refresh in self._refresh.values():
            if refresh_token is None or refresh.token == refresh_token:
                refresh.locked_until = until
                refresh.grant_times.clear()
                locked += 1
        return locked

    def live_token_count(self) -> int:
        now = self.clock.now()
        return sum(1 for access in self._access.values() if access.expires_at > now)
