"""ClientSettings: everything a Connection holds, validated once, with the secrets kept out of its repr."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_bigin.datacenters import (
    DATA_CENTERS,
    DataCenter,
    check_credential_url,
    get_data_center,
)
from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.token_stores import TOKEN_CACHE_CHOICES

log = logging.getLogger(__name__)

# Seconds to wait for a connection, and for a reply (a 500-record call takes a few seconds at most).
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# Bigin publishes no concurrency cap; Zoho CRM's is 5 on its free plan (reference/bigin-api.md, 4).
DEFAULT_MAX_CONCURRENCY = 4
MAX_CONCURRENCY_CEILING = 25
EXTRA_KEYS = frozenset(
    {
        "refresh_token",
        "data_center",
        "accounts_url",
        "api_domain",
        "timeout",
        "max_concurrency",
        "token_cache",
    }
)


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConnectionConfigError(f"{name} must be text, not {type(value).__name__}.")
    return value.strip() or None


def _number(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConnectionConfigError(f"{name} must be a number of seconds, not {value!r}.") from None
    if not number > 0:
        raise ConnectionConfigError(f"{name} must be more than 0 seconds, not {value!r}.")
    return number


def _count(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConnectionConfigError(f"{name} must be a whole number, not {value!r}.")
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ConnectionConfigError(f"{name} must be a whole number, not {value!r}.") from None
    if not 1 <= count <= MAX_CONCURRENCY_CEILING:
        raise ConnectionConfigError(f"{name} must be from 1 to {MAX_CONCURRENCY_CEILING}, not {count}.")
    return count


@dataclass(frozen=True)
class ClientSettings:
    """The connection's fields: login (client id), password (client secret) and the extras.

    Validation happens here, before any request: a missing secret, an unknown data centre or an unsafe host
    raises ConnectionConfigError naming the field to fix. The repr shows no credential.
    """

    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    data_center: str = "us"
    accounts_url: str | None = None
    api_domain: str | None = None
    timeout: float | None = None
    max_concurrency: int | None = None
    token_cache: str | None = None

    def __post_init__(self) -> None:
        for name, where in (
            ("client_id", "the connection's login"),
            ("client_secret", "the connection's password"),
            ("refresh_token", "the connection extra 'refresh_token'"),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConnectionConfigError(
                    f"{name} is missing: put it in {where} (from https://api-console.zoho.com, Self Client)."
                )
            object.__setattr__(self, name, value.strip())
        object.__setattr__(self, "data_center", (_text(self.data_center, "data_center") or "us").lower())
        object.__setattr__(self, "accounts_url", _text(self.accounts_url, "accounts_url"))
        object.__setattr__(self, "api_domain", _text(self.api_domain, "api_domain"))
        object.__setattr__(self, "timeout", _number(self.timeout, "timeout"))
        object.__setattr__(self, "max_concurrency", _count(self.max_concurrency, "max_concurrency"))
        cache = (_text(self.token_cache, "token_cache") or "auto").lower()
        if cache not in TOKEN_CACHE_CHOICES:
            raise ConnectionConfigError(
                f"token_cache {cache!r} is not one of {', '.join(TOKEN_CACHE_CHOICES)}."
            )
        object.__setattr__(self, "token_cache", cache)
        self.data_center_info()  # validates the data centre and both URLs

    def data_center_info(self) -> DataCenter:
        """The connection's data centre; an unknown code is allowed when both URLs are given explicitly."""
        if self.data_center not in DATA_CENTERS and self.accounts_url and self.api_domain:
            known = DataCenter(self.data_center, self.accounts_url, self.api_domain)
        else:
            known = get_data_center(self.data_center)
        accounts = check_credential_url(
            self.accounts_url or known.accounts_url, field="accounts_url", explicit=bool(self.accounts_url)
        )
        api = check_credential_url(
            self.api_domain or known.api_domain, field="api_domain", explicit=bool(self.api_domain)
        )
        return DataCenter(known.code, accounts, api)

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) seconds for requests: `timeout` bounds the read, and the connect up to 10 s."""
        read = self.timeout or DEFAULT_READ_TIMEOUT
        return (min(DEFAULT_CONNECT_TIMEOUT, read), read)

    @property
    def concurrency(self) -> int:
        return self.max_concurrency or DEFAULT_MAX_CONCURRENCY

    @classmethod
    def from_connection(
        cls, *, login: str | None, password: str | None, extra: Mapping[str, Any] | str | None
    ) -> ClientSettings:
        """Settings from a Connection's login, password and extra (a dict or its JSON text).

        Unknown extra keys are ignored with a warning naming them (a typo such as "datacenter" would
        otherwise silently fall back to US); their values are never logged.
        """
        if isinstance(extra, str):
            try:
                extra = json.loads(extra) if extra.strip() else {}
            except ValueError:
                raise ConnectionConfigError("The connection extra is not valid JSON.") from None
        extra = dict(extra or {})
        if not isinstance(extra, dict):
            raise ConnectionConfigError("The connection extra must be a JSON object.")
        unknown = sorted(str(key) for key in extra if key not in EXTRA_KEYS)
        if unknown:
            log.warning(
                "Ignoring unknown Bigin connection extras %s (known: %s).",
                unknown,
                ", ".join(sorted(EXTRA_KEYS)),
            )
        return cls(
            client_id=login or "",
            client_secret=password or "",
            refresh_token=extra.get("refresh_token") or "",
            data_center=extra.get("data_center") or "us",
            accounts_url=extra.get("accounts_url"),
            api_domain=extra.get("api_domain"),
            timeout=extra.get("timeout"),
            max_concurrency=extra.get("max_concurrency"),
            token_cache=extra.get("token_cache"),
        )
