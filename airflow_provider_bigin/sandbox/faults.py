"""Fault profiles: which share of requests fail, and how, reproducibly from a seed; and Zoho's variations.

Kinds, and whether the request's change is applied:

* ``5xx``: 500 INTERNAL_ERROR (Zoho's JSON), 502 or 503 (a gateway's HTML page); not applied.
* ``429``: 429 TOO_MANY_REQUESTS; not applied.
* ``drop``: the connection is closed before any processing, with no reply; not applied.
* ``drop_after``: the change is applied, then the connection is closed with no reply (the reply is lost).
* ``slow``: the change is applied, then the reply waits ``slow_seconds``, past a client's read timeout.

``drop_after`` and ``slow`` are the faults that prove a client's retries are idempotent. The n-th request
that faults may apply to takes the n-th draw of a ``random.Random(seed)``, so a sequential client meets the
same faults on every run.

Zoho's variations are switched on, not drawn: every request meets them. They are ways in which Zoho's
services are known (or may turn out) to answer differently from what Bigin documents (docs/zoho-facts.md,
sections 5 and 8), so that tests show a client copes:

* ``invalid_token_status``: the HTTP status of an INVALID_TOKEN refusal, 401 (Bigin's) or 400 (as another
  Zoho service answers).
* ``url_max_ids``: a Bigin API call whose ``ids`` query parameter lists more ids than this is refused for
  its URL length, before any processing (not applied), with ``url_too_long_status``: 414 (a front server's
  HTML page) or 400 (Zoho's JSON, ``INVALID_REQUEST``, naming the URL). None: no limit.
* ``add_tags_v1_only``: Add Tags reads only the query parameters ``tag_names`` and ``ids`` of Bigin's v1 Add
  Tags and answers a JSON body with REQUIRED_PARAM_MISSING; off, it reads only the JSON body.

Every setting goes in the same profile, by name: ``Sandbox(faults={"url_max_ids": 100})``,
``sandbox.set_faults({"invalid_token_status": 400, "5xx": 0.1})``, ``PUT /__sandbox__/faults`` with
``{"profile": {...}}``, or the CLI's ``--faults 'add_tags_v1_only=true'``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

FaultKind = Literal["5xx", "429", "drop", "drop_after", "slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("5xx", "429", "drop", "drop_after", "slow")
SERVER_ERROR_STATUSES = (500, 502, 503)
DEFAULT_SLOW_SECONDS = 5.0
INVALID_TOKEN_STATUSES = (401, 400)
URL_TOO_LONG_STATUSES = (414, 400)


@dataclass(frozen=True)
class FaultProfile:
    """Shares of requests (0 to 1, summing to at most 1) that meet each kind of fault."""

    server_error: float = 0.0
    too_many_requests: float = 0.0
    drop: float = 0.0
    drop_after: float = 0.0
    slow: float = 0.0
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    include_token_endpoint: bool = False  # by default only the Bigin API endpoints fault
    # Zoho's variations (see the module docstring): switched on for every request, never drawn.
    invalid_token_status: int = 401
    url_max_ids: int | None = None
    url_too_long_status: int = 414
    add_tags_v1_only: bool = False

    def __post_init__(self) -> None:
        for kind, share in self.shares().items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"fault share for {kind!r} must be between 0 and 1, not {share}")
        if sum(self.shares().values()) > 1.0 + 1e-9:
            raise ValueError(f"fault shares add up to more than 1: {self.shares()}")
        if self.slow_seconds < 0:
            raise ValueError(f"slow_seconds must not be negative, not {self.slow_seconds}")
        if self.invalid_token_status not in INVALID_TOKEN_STATUSES:
            raise ValueError(f"invalid_token_status must be one of {INVALID_TOKEN_STATUSES}")
        if self.url_too_long_status not in URL_TOO_LONG_STATUSES:
            raise ValueError(f"url_too_long_status must be one of {URL_TOO_LONG_STATUSES}")
        if self.url_max_ids is not None and self.url_max_ids < 1:
            raise ValueError(f"url_max_ids must be at least 1 (or None for no limit), not {self.url_max_ids}")

    def shares(self) -> dict[FaultKind, float]:
        return {
            "5xx": self.server_error,
            "429": self.too_many_requests,
            "drop": self.drop,
            "drop_after": self.drop_after,
            "slow": self.slow,
        }

    @property
    def active(self) -> bool:
        return any(self.shares().values())

    def as_json(self) -> dict[str, Any]:
        shares: dict[str, Any] = {str(kind): share for kind, share in self.shares().items()}
        return {
            **shares,
            "slow_seconds": self.slow_seconds,
            "include_token_endpoint": self.include_token_endpoint,
            "invalid_token_status": self.invalid_token_status,
            "url_max_ids": self.url_max_ids,
            "url_too_long_status": self.url_too_long_status,
            "add_tags_v1_only": self.add_tags_v1_only,
        }


NO_FAULTS = FaultProfile()
NAMED_PROFILES: dict[str, FaultProfile] = {
    "none": NO_FAULTS,
    "flaky": FaultProfile(server_error=0.10, too_many_requests=0.05, drop=0.02),
    "soak": FaultProfile(server_error=0.15, too_many_requests=0.10, drop=0.03, slow=0.02),
}

_KEY_ALIASES = {
    "5xx": "server_error",
    "429": "too_many_requests",
    "server_error": "server_error",
    "too_many_requests": "too_many_requests",
    "drop": "drop",
    "drop_after": "drop_after",
    "slow": "slow",
    "slow_seconds": "slow_seconds",
    "include_token_endpoint": "include_token_endpoint",
    "token": "include_token_endpoint",
    "invalid_token_status": "invalid_token_status",
    "url_max_ids": "url_max_ids",
    "url_too_long_status": "url_too_long_status",
    "add_tags_v1_only": "add_tags_v1_only",
}
_FLAGS = frozenset({"include_token_endpoint", "add_tags_v1_only"})
_WHOLE_NUMBERS = frozenset({"invalid_token_status", "url_max_ids", "url_too_long_status"})

FaultSpec = FaultProfile | str | Mapping[str, Any] | None


def fault_profile(spec: FaultSpec) -> FaultProfile:
    """A profile from a name ("flaky"), a mapping ({"5xx": 0.1}), JSON text, or "5xx=0.1,drop=0.02" text."""
    if spec is None:
        return NO_FAULTS
    if isinstance(spec, FaultProfile):
        return spec
    if isinstance(spec, str):
        text = spec.strip()
        if text in NAMED_PROFILES:
            return NAMED_PROFILES[text]
        if text.startswith("{"):
            return fault_profile(json.loads(text))
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        if not pairs or any(len(pair) != 2 for pair in pairs):
            raise ValueError(
                f"unknown fault profile {spec!r}: use one of {sorted(NAMED_PROFILES)} "
                "or shares such as '5xx=0.1,drop=0.02'"
            )
        return fault_profile({key.strip(): value.strip() for key, value in pairs})
    values: dict[str, Any] = {}
    for key, value in spec.items():
        if key not in _KEY_ALIASES:
            raise ValueError(f"unknown fault setting {key!r}; known: {sorted(_KEY_ALIASES)}")
        name = _KEY_ALIASES[key]
        if name in _FLAGS:
            values[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        elif name in _WHOLE_NUMBERS:
            none = value is None or str(value).strip().lower() in ("", "none", "null")
            values[name] = None if none and name == "url_max_ids" else int(str(value).strip())
        else:
            values[name] = float(value)
    return FaultProfile(**values)


def profile_to_text(profile: FaultProfile) -> str:
    """The JSON form ``fault_profile`` reads back (used to hand a profile to a sandbox subprocess)."""
    return json.dumps(asdict(profile))


class FaultPlan:
    """Draws, request by request, which fault (if any) each one meets."""

    def __init__(self, profile: FaultProfile, seed: int = 0) -> None:
        self.profile = profile
        self.seed = seed
        self._rng = random.Random(seed)

    def applies_to(self, is_token_endpoint: bool) -> bool:
        return self.profile.active and (not is_token_endpoint or self.profile.include_token_endpoint)

    def draw(self) -> FaultKind | None:
        point = self._rng.random()
        for kind, share in self.profile.shares().items():
            if point < share:
                return kind
            point -= share
        return None

    def server_error_status(self) -> int:
        return self._rng.choice(SERVER_ERROR_STATUSES)
