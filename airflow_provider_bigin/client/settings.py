"""ClientSettings: everything a Connection holds, validated once, with the secrets kept out of its repr."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from airflow_provider_bigin.client.counts import whole_number
from airflow_provider_bigin.client.datacenters import (
    DEFAULT_DATA_CENTER,
    DataCenter,
    check_credential_url,
    get_data_center,
)
from airflow_provider_bigin.client.tokens.stores import CACHE_BACKENDS
from airflow_provider_bigin.errors import ConnectionConfigError

log = logging.getLogger(__name__)

# Seconds to wait for a connection, and for a reply (a 500-record call takes a few seconds at most).
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0
# Bigin reportedly allows about 10 calls in flight per org, 5 on its free plan (docs/zoho-facts.md,
# section 5): the cap is the org's, shared by every task, so no task may ask for more than the whole org has.
DEFAULT_MAX_CONCURRENCY = 4
MAX_CONCURRENCY_CEILING = 10
# The longest wait a setting in seconds may ask for: past an hour, a call or its retries are not waiting for
# Bigin any more but hanging a worker; and "inf" or NaN would disable the bound altogether.
MAX_SECONDS_SETTING = 3600.0
#: Connection extras by name -> the ClientSettings field each one fills.
EXTRA_FIELDS: Mapping[str, str] = {
    "refresh_token": "refresh_token",
    "data_center": "data_center",
    "accounts_url": "accounts_url",
    "api_domain": "api_domain",
    "timeout": "timeout",
    "max_concurrency": "max_concurrency",
    # Not "token_cache": Airflow masks every extra whose key contains "token", which made the form show
    # the default as "***" and blanked the words "variable"/"memory" out of task logs.
    "cache_backend": "cache_backend",
    "token_cache": "cache_backend",  # the first name, still read; cache_backend wins when both are set
}
#: Airflow 2's connection form stored extras as ``extra__bigin__<name>``; such connections still work.
LEGACY_EXTRA_PREFIX = "extra__bigin__"


def settings_kwargs_from_extra(
    extra: Mapping[str, Any], *, source: str = "Bigin connection"
) -> dict[str, Any]:
    """ClientSettings keyword arguments from a connection extra, read by name.

    Empty values count as unset; the plain key wins over its legacy ``extra__bigin__`` twin and
    ``cache_backend`` over ``token_cache``. Unknown keys are named in a warning (a typo such as "datacenter"
    would otherwise silently mean US), their values never logged, and nothing of them is sent anywhere.
    """
    kwargs: dict[str, Any] = {}
    ranks: dict[str, int] = {}
    unknown: list[str] = []
    for key, value in extra.items():
        name = str(key)
        legacy = name.startswith(LEGACY_EXTRA_PREFIX)
        name = name.removeprefix(LEGACY_EXTRA_PREFIX)
        if name not in EXTRA_FIELDS:
            unknown.append(str(key))
            continue
        if value is None or value == "":
            continue
        target = EXTRA_FIELDS[name]
        rank = (0 if name == "token_cache" else 2) + (0 if legacy else 1)
        if rank >= ranks.get(target, -1):
            kwargs[target], ranks[target] = value, rank
    if unknown:
        log.warning(
            "%s: ignoring unknown extras %s (known: %s).",
            source,
            sorted(unknown),
            ", ".join(name for name in EXTRA_FIELDS if name != "token_cache"),
        )
    return kwargs


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConnectionConfigError(f"{name} must be text, not {type(value).__name__}.")
    return value.strip() or None


def seconds_setting(value: Any, name: str, *, zero_allowed: bool = False) -> float | None:
    """A setting in seconds (None when unset): a finite number more than 0 (or from 0) up to an hour.

    Text is accepted as connection extras hold it; "inf", NaN, a bool and out-of-range numbers raise
    ConnectionConfigError naming the field and the accepted range, before any request.
    """
    if value is None or value == "":
        return None
    low = "from 0" if zero_allowed else "more than 0"
    accepted = f"a finite number of seconds, {low} and at most {MAX_SECONDS_SETTING:.0f}"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError, OverflowError):
        raise ConnectionConfigError(f"{name} must be {accepted}, not {value!r}.") from None
    above_low = number >= 0 if zero_allowed else number > 0  # False for NaN
    if not (above_low and number <= MAX_SECONDS_SETTING and math.isfinite(number)):
        raise ConnectionConfigError(f"{name} must be {accepted}, not {value!r}.")
    return number


def _count(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    count = whole_number(value, from_text=True)  # NaN, "inf" and 2.5 are no whole number
    if count is None or not 1 <= count <= MAX_CONCURRENCY_CEILING:
        raise ConnectionConfigError(
            f"{name} must be a whole number from 1 to {MAX_CONCURRENCY_CEILING}, not {value!r}: Bigin allows "
            f"about {MAX_CONCURRENCY_CEILING} calls in flight per org, shared by all its tasks."
        )
    return count


#: The three credentials: field -> (the part of the connection it goes in, that part named in full, how to
#: get the value). One table for both messages: the hook's, which knows the connection's id, and ours.
CREDENTIALS: Final[dict[str, tuple[str, str, str]]] = {
    "client_id": (
        "login",
        "the connection's login",
        "the Client ID of a Zoho self client (https://api-console.zoho.com)",
    ),
    "client_secret": (
        "password",
        "the connection's password",
        "the Client Secret of the same self client (api-console.zoho.com)",
    ),
    "refresh_token": (
        "extra",
        "the connection extra 'refresh_token'",
        'add {"refresh_token": "1000...."}, a refresh token generated for the self client with the '
        "ZohoBigin scopes the DAGs need (see the README, 'Connection')",
    ),
}


def credential(value: Any, name: str, *, conn_id: str | None = None) -> str:
    """The credential `name`, trimmed; a missing one raises ConnectionConfigError saying where it goes.

    :param conn_id: the Airflow connection it was read from, named in the message when known.
    """
    if isinstance(value, str) and value.strip():
        return value.strip()
    part, place, how = CREDENTIALS[name]
    if conn_id is not None:
        raise ConnectionConfigError(f"connection {conn_id!r} has no {name} in its {part}: {how}.")
    raise ConnectionConfigError(f"{name} is missing: put it in {place}: {how}.")


@dataclass(frozen=True)
class ClientSettings:
    """The connection's fields: login (client id), password (client secret) and the extras.

    Validation happens here, before any request: a missing secret, an unknown data centre or an unsafe host
    raises ConnectionConfigError naming the field to fix. The repr shows no credential.
    """

    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    data_center: str = DEFAULT_DATA_CENTER
    accounts_url: str | None = None
    api_domain: str | None = None
    timeout: float | None = None
    max_concurrency: int | None = None
    cache_backend: str | None = None

    def __post_init__(self) -> None:
        for name in CREDENTIALS:
            object.__setattr__(self, name, credential(getattr(self, name), name))
        object.__setattr__(
            self, "data_center", (_text(self.data_center, "data_center") or DEFAULT_DATA_CENTER).lower()
        )
        object.__setattr__(self, "accounts_url", _text(self.accounts_url, "accounts_url"))
        object.__setattr__(self, "api_domain", _text(self.api_domain, "api_domain"))
        object.__setattr__(self, "timeout", seconds_setting(self.timeout, "timeout"))
        object.__setattr__(self, "max_concurrency", _count(self.max_concurrency, "max_concurrency"))
        cache = (_text(self.cache_backend, "cache_backend") or "auto").lower()
        if cache not in CACHE_BACKENDS:
            raise ConnectionConfigError(f"cache_backend {cache!r} is not one of {', '.join(CACHE_BACKENDS)}.")
        object.__setattr__(self, "cache_backend", cache)
        self.data_center_info()  # validates the data centre and both URLs

    def data_center_info(self) -> DataCenter:
        """The connection's data centre, its URLs overridden by accounts_url and api_domain when given.

        An unknown code is refused even with both URLs set: every sandbox connection sets them, so a
        misspelt "usa" would otherwise pass every test and reach production.
        """
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
        if not isinstance(extra, Mapping | None):
            raise ConnectionConfigError("The connection extra must be a JSON object.")
        extra = dict(extra or {})
        return cls(client_id=login or "", client_secret=password or "", **settings_kwargs_from_extra(extra))
