"""Zoho OAuth: the refresh grant, its reply, and what its errors mean.

Zoho mints at most 10 access tokens per refresh token in 10 minutes and answers the 11th with HTTP 200 and
"Access Denied" in the body; the block then lasts 15 to 30 quiet minutes. So a grant is precious: the token
cache decides when to ask, this module only asks once and says precisely what the answer means.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from airflow_provider_bigin.client.bounded_read import MIB
from airflow_provider_bigin.client.exchange import exchange
from airflow_provider_bigin.client.scrubbing import scrub_body
from airflow_provider_bigin.client.strict_json import NotJsonError, loads_strict
from airflow_provider_bigin.errors import (
    InvalidClientError,
    RateLimitedError,
    RevokedRefreshTokenError,
    ServerError,
    TokenRequestError,
    UnexpectedResponseError,
)

# https://www.bigin.com/developer/docs/apis/v2/refresh.html
TOKEN_PATH = "/oauth/v2/token"  # noqa: S105  # a URL path, not a password
# Access tokens live one hour: https://www.zoho.com/crm/developer/docs/api/v8/token-validity.html
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
# Zoho grants 10 tokens per 10 minutes (docs/zoho-facts.md, section 3): one a minute. The clock never
# refreshes a token sooner after its minting, so no stated lifetime (expires_in=1) can spend the budget; one
# that really expired sooner is refreshed once on Bigin's invalid-token answer.
MIN_TOKEN_USE_SECONDS = 60.0
# A legacy `expires_in` in milliseconds is at least this large; a lifetime in seconds never is.
_MILLISECONDS_THRESHOLD = 24 * 3600
#: The most a token reply may hold once decompressed (a real one is about 300 bytes).
MAX_TOKEN_REPLY_BYTES = 1 * MIB
# The reply to the 11th grant in 10 minutes (docs/zoho-facts.md, section 3).
ACCESS_DENIED = "access denied"


class TokenBudgetLockout(Exception):
    """Zoho refused a grant because the token budget is spent; the token cache turns it into a typed error."""


@dataclass(frozen=True)
class AccessToken:
    """An access token, the API domain it is valid for, and when it expires (epoch seconds).

    The repr never shows the value, so that a token in a log line or a traceback stays secret.
    """

    value: str = field(repr=False)
    api_domain: str | None
    expires_at: float
    issued_at: float
    scope: str | None = None

    def __repr__(self) -> str:
        return (
            f"AccessToken(value='***', api_domain={self.api_domain!r}, expires_at={self.expires_at:.0f}, "
            f"scope={self.scope!r})"
        )

    def is_fresh(self, margin_seconds: float, now: float | None = None) -> bool:
        """True until `margin_seconds` before expiry (at most half the lifetime, for short-lived tokens),
        and always in the first MIN_TOKEN_USE_SECONDS after minting, whatever lifetime it was given."""
        moment = time.time() if now is None else now
        if self.issued_at <= moment < self.issued_at + MIN_TOKEN_USE_SECONDS:  # False for NaN, or the future
            return True
        margin = min(margin_seconds, (self.expires_at - self.issued_at) / 2)
        return moment < self.expires_at - margin

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.value,
                "api_domain": self.api_domain,
                "expires_at": self.expires_at,
                "issued_at": self.issued_at,
                "scope": self.scope,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AccessToken | None:
        """The token stored by to_json, or None when the text is not one (a damaged cache is a miss)."""
        try:
            data = json.loads(text)
            value = data["access_token"]
            if not isinstance(value, str) or not value:
                return None
            return cls(
                value=value,
                api_domain=data.get("api_domain"),
                expires_at=float(data["expires_at"]),
                issued_at=float(data["issued_at"]),
                scope=data.get("scope"),
            )
        except (ValueError, TypeError, KeyError):
            return None


def token_lifetime_seconds(reply: Mapping[str, Any]) -> float:
    """Seconds the token lives: `expires_in_sec` when given, else `expires_in` (seconds, or legacy ms).

    A value that is not a positive finite number of seconds up to a day (0, -5, NaN, "Infinity", 1e300) is
    ignored with a warning and the next key, or the documented hour, is used: an endless lifetime would keep
    a dead token forever.
    """
    for key in ("expires_in_sec", "expires_in"):
        value = reply.get(key)
        if value is None:
            continue
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise TypeError
            seconds = float(value)
        except (TypeError, ValueError, OverflowError):
            seconds = math.nan
        if key == "expires_in" and seconds > _MILLISECONDS_THRESHOLD:
            seconds /= 1000
        if not 0 < seconds <= _MILLISECONDS_THRESHOLD:  # False for NaN; and a day at most, in seconds
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            logging.getLogger(__name__).warning(
                "Zoho Accounts gave the access token a lifetime %s=%s, not a number of seconds from 0 to a "
                "day: ignored (an access token lives %d s).",
                key,
                shown,
                DEFAULT_TOKEN_LIFETIME_SECONDS,
            )
            continue
        return seconds
    return DEFAULT_TOKEN_LIFETIME_SECONDS


def parse_token_reply(reply: Any, *, accounts_url: str, now: float | None = None) -> AccessToken:
    """The access token in a grant reply, or the typed error its `error` field means."""
    if not isinstance(reply, Mapping):
        raise UnexpectedResponseError(
            f"Zoho Accounts at {accounts_url} replied with something other than JSON."
        )
    error = reply.get("error")
    if error:
        raise token_error(str(error), str(reply.get("error_description") or ""), accounts_url=accounts_url)
    value = reply.get("access_token")
    if not isinstance(value, str) or not value:
        raise UnexpectedResponseError(f"Zoho Accounts at {accounts_url} replied without an access_token.")
    issued_at = time.time() if now is None else now
    api_domain = reply.get("api_domain")
    return AccessToken(
        value=value,
        api_domain=api_domain if isinstance(api_domain, str) and api_domain else None,
        expires_at=issued_at + token_lifetime_seconds(reply),
        issued_at=issued_at,
        scope=reply.get("scope") if isinstance(reply.get("scope"), str) else None,
    )


def token_error(error: str, description: str, *, accounts_url: str) -> Exception:
    """The exception for Zoho Accounts' `error` field; the reply was scrubbed of credentials when read."""
    lowered = error.strip().lower()
    if lowered == ACCESS_DENIED or "too many requests" in description.lower():
        return TokenBudgetLockout(description or error)
    if lowered == "invalid_client":
        return InvalidClientError(
            f"Zoho Accounts at {accounts_url} refused the client (invalid_client): check the connection's "
            "login (client id) and password (client secret), and that data_center names the data centre "
            "where the client was registered in https://api-console.zoho.com."
        )
    if lowered in ("invalid_code", "invalid_grant", "invalid_refresh_token"):
        return RevokedRefreshTokenError(
            f"Zoho Accounts at {accounts_url} refused the refresh token ({lowered}): it was revoked, or "
            "belongs to another client or data centre. Generate a new one (Self Client, Generate Code, then "
            "exchange the code with grant_type=authorization_code) and store it in the connection extra "
            "refresh_token."
        )
    return TokenRequestError(
        f"Zoho Accounts at {accounts_url} refused the grant: {lowered} {description}".strip()
    )


def request_access_token(
    session: requests.Session,
    *,
    accounts_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    timeout: tuple[float, float],
) -> AccessToken:
    """One refresh grant: POST {accounts_url}/oauth/v2/token with the credentials as form fields.

    Form fields, not the query string that Zoho's samples show, so that no proxy or access log keeps them.
    """
    url = accounts_url.rstrip("/") + TOKEN_PATH
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
    reply = exchange(
        session,
        "POST",
        url,
        timeout=timeout,
        max_bytes=MAX_TOKEN_REPLY_BYTES,
        service="Zoho Accounts",
        what=f"POST {TOKEN_PATH}",
        advice="Check the network (a firewall or HTTPS_PROXY) and the connection's data_center or "
        "accounts_url.",
        form=form,
    )
    if reply.status == 429:
        raise RateLimitedError(f"Zoho Accounts at {accounts_url} answered 429.", http_status=429)
    if reply.status >= 500:
        raise ServerError(
            f"Zoho Accounts at {accounts_url} answered HTTP {reply.status}.", http_status=reply.status
        )
    try:
        payload = loads_strict(scrub_body(reply.body, (client_secret, refresh_token)))
    except NotJsonError as error:
        raise UnexpectedResponseError(
            f"Zoho Accounts at {accounts_url} answered HTTP {reply.status} without JSON: is accounts_url a "
            f"Zoho accounts server? (The body holds {error}.)",
            http_status=reply.status,
        ) from None
    return parse_token_reply(payload, accounts_url=accounts_url)
