"""The token source: process memory, then the shared store, then one refresh grant for everybody.

Zoho mints at most 10 access tokens per refresh token in 10 minutes and then locks the refresh token for 15 to
30 minutes (docs/zoho-facts.md, section 3). Every task process and every worker therefore reads one shared
token (a file or memory, see stores.py, or the hook's Airflow Variable), takes turns to refresh it a margin
before expiry, and, once locked out, records the lockout in the store so that no process asks again before
it ends.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import requests

from airflow_provider_bigin.client.retrying import RetryPolicy
from airflow_provider_bigin.client.tokens.grant import AccessToken, TokenBudgetLockout, request_access_token
from airflow_provider_bigin.client.tokens.stores import TokenStore
from airflow_provider_bigin.errors import TokenBudgetExceededError, TransientError

log = logging.getLogger(__name__)

KEY_PREFIX = "bigin_access_token__"
# Refresh this long before expiry, so that a token never expires in the middle of a run.
DEFAULT_REFRESH_MARGIN_SECONDS = 300.0
# How long a locked-out process polls the store for a token another process minted before the lockout.
DEFAULT_LOCKOUT_WAIT_SECONDS = 30.0
# Practitioners report that Zoho lifts the block after 15 to 30 quiet minutes (docs/zoho-facts.md, section 3).
DEFAULT_LOCKOUT_SECONDS = 900.0
# Attempts at a grant when Zoho Accounts fails transiently; each success may cost one of the 10 tokens.
GRANT_RETRY = RetryPolicy(max_attempts=3, initial_wait=1.0, max_wait=5.0, max_elapsed=30.0)

# The process-wide memory layer, shared by every client of this process; keyed like the store.
_PROCESS_TOKENS: dict[str, AccessToken] = {}
_PROCESS_LOCK = threading.Lock()
_FLIGHTS: dict[str, threading.Lock] = {}
#: Fingerprints of tokens the API refused: never handed out again by this process, wherever they are read.
_REFUSED: set[str] = set()
_REFUSED_LIMIT = 1024  # tokens live an hour; a long-lived worker forgets old refusals rather than grow


def token_cache_key(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    """A store key for one set of credentials at one accounts server: a hash, so it reveals no secret.

    The client secret is part of it so that a wrong or rotated secret never borrows a cached token.
    """
    material = "\n".join((accounts_url.rstrip("/"), client_id, client_secret, refresh_token))
    digest = hashlib.sha256(material.encode()).hexdigest()
    return KEY_PREFIX + digest[:40]


def forget_process_tokens() -> None:
    """Empty this process's memory layer (tests, or after rotating a refresh token)."""
    with _PROCESS_LOCK:
        _PROCESS_TOKENS.clear()
        _REFUSED.clear()


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenSource:
    """Hands out a valid access token for one refresh token, minting one only when nobody has one.

    :param on_new_token: called with the value of every token this source hands out for the first time,
        whether minted or read from the store (the hook passes Airflow's mask_secret).
    :param lockout_wait_seconds: how long to wait, polling the store, for a token that another process
        minted before the lockout, before raising TokenBudgetExceededError.
    :param refresh_wait_seconds: how long to wait for another process's refresh before refreshing anyway.
    """

    def __init__(
        self,
        *,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        session: requests.Session,
        store: TokenStore,
        timeout: tuple[float, float],
        on_new_token: Callable[[str], None] | None = None,
        refresh_margin_seconds: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        lockout_seconds: float = DEFAULT_LOCKOUT_SECONDS,
        lockout_wait_seconds: float = DEFAULT_LOCKOUT_WAIT_SECONDS,
        refresh_wait_seconds: float = 60.0,
        grant_retry: RetryPolicy = GRANT_RETRY,
    ) -> None:
        self.accounts_url = accounts_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._session = session
        self.store = store
        self._timeout = timeout
        self._on_new_token = on_new_token
        self.refresh_margin_seconds = refresh_margin_seconds
        self.lockout_seconds = lockout_seconds
        self.lockout_wait_seconds = lockout_wait_seconds
        self.refresh_wait_seconds = refresh_wait_seconds
        self._grant_retry = grant_retry
        self.key = token_cache_key(accounts_url, client_id, client_secret, refresh_token)
        self._lockout_key = f"{self.key}__lockout"
        self._seen: set[str] = set()
        self._seen_lock = threading.Lock()
        self.grants = 0  # refresh grants this source sent, for logs and tests
        with _PROCESS_LOCK:
            self._flight = _FLIGHTS.setdefault(self.key, threading.Lock())

    def __repr__(self) -> str:
        return f"TokenSource(accounts_url={self.accounts_url!r}, store={self.store!r})"

    # --- the three layers -------------------------------------------------------------------------------

    def _fresh(self, token: AccessToken | None) -> AccessToken | None:
        if token is None or not token.is_fresh(self.refresh_margin_seconds):
            return None
        with _PROCESS_LOCK:
            refused = _fingerprint(token.value) in _REFUSED
        return None if refused else token

    def _from_memory(self) -> AccessToken | None:
        with _PROCESS_LOCK:
            token = _PROCESS_TOKENS.get(self.key)
        return self._fresh(token)  # outside the lock: _fresh takes it to read the refusals

    def _remember(self, token: AccessToken) -> None:
        with _PROCESS_LOCK:
            _PROCESS_TOKENS[self.key] = token

    def _from_store(self) -> AccessToken | None:
        try:
            text = self.store.read(self.key)
        except Exception as exc:  # a store outage must not stop the run: fall back to a grant
            log.warning("Could not read the Bigin token cache (%s): %s", self.store.name, type(exc).__name__)
            return None
        return self._fresh(AccessToken.from_json(text)) if text else None

    def _hand_out(self, token: AccessToken) -> AccessToken:
        fingerprint = _fingerprint(token.value)
        with self._seen_lock:
            first_time = fingerprint not in self._seen
            self._seen.add(fingerprint)
        if first_time and self._on_new_token is not None:
            self._on_new_token(token.value)
        return token

    # --- public -----------------------------------------------------------------------------------------

    def get(self) -> AccessToken:
        """A token valid for at least the refresh margin; mints one only if no process has one."""
        token = self._from_memory()
        if token is not None:
            return self._hand_out(token)
        with self._flight:  # one thread of this process refreshes; the others then find its token
            token = self._from_memory() or self._from_store() or self._wait_out_lockout()
            if token is None:
                with self.store.refresh_turn(
                    self.key, done=lambda: self._from_store() is not None, timeout=self.refresh_wait_seconds
                ):
                    token = self._from_store() or self._wait_out_lockout() or self._mint()
            self._remember(token)
        return self._hand_out(token)

    def secret_values(self) -> tuple[str, ...]:
        """The client secret, the refresh token and the access token in memory: what server text must not
        echo (client/scrubbing.py); read-only."""
        with _PROCESS_LOCK:
            token = _PROCESS_TOKENS.get(self.key)
        return (self._client_secret, self._refresh_token) + ((token.value,) if token is not None else ())

    def invalidate(self, token: AccessToken) -> None:
        """Forget `token` (the API refused it), unless a newer one already replaced it.

        The refusal is recorded first: another thread may read the store between the two deletions below,
        and must not put the refused token back into memory for this caller's next get().
        """
        with _PROCESS_LOCK:
            if len(_REFUSED) >= _REFUSED_LIMIT:
                _REFUSED.clear()
            _REFUSED.add(_fingerprint(token.value))
            current = _PROCESS_TOKENS.get(self.key)
            if current is not None and current.value == token.value:
                del _PROCESS_TOKENS[self.key]
        try:
            stored = AccessToken.from_json(self.store.read(self.key) or "")
            if stored is not None and stored.value == token.value:
                self.store.delete(self.key)
        except Exception as exc:
            log.warning(
                "Could not update the Bigin token cache (%s): %s", self.store.name, type(exc).__name__
            )

    # --- minting ----------------------------------------------------------------------------------------

    def _grant_once(self) -> AccessToken:
        self.grants += 1
        return request_access_token(
            self._session,
            accounts_url=self.accounts_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            refresh_token=self._refresh_token,
            timeout=self._timeout,
        )

    def _mint(self) -> AccessToken:
        """One grant (retried only on transient failures); on a lockout, record it for every process."""
        try:
            token = self._grant_retry.retrying(
                retry_on=(TransientError,), label=f"token grant at {self.accounts_url}"
            )(self._grant_once)
        except TokenBudgetLockout:
            until = time.time() + self.lockout_seconds
            self._write(self._lockout_key, json.dumps({"until": until}))
            log.warning(
                "Zoho refused a new access token (Access Denied): the token budget is spent; "
                "no process sharing this cache will ask again before %s.",
                _utc(until),
            )
            waited = self._wait_for_stored_token(self.lockout_wait_seconds)
            if waited is not None:
                return waited
            raise self._budget_error(until) from None
        log.info(
            "Minted a Bigin access token (valid until %s); cached in the %s store.",
            _utc(token.expires_at),
            self.store.name,
        )
        self._write(self.key, token.to_json())
        return token

    def _write(self, key: str, value: str) -> None:
        try:
            self.store.write(key, value)
        except Exception as exc:  # the token still works for this process
            log.warning("Could not write the Bigin token cache (%s): %s", self.store.name, type(exc).__name__)

    def _lockout_until(self) -> float | None:
        """When the recorded lockout ends, or None: also for a record no lockout of ours can have written
        (NaN, infinite, or further ahead than a lockout lasts), which would otherwise block every run."""
        try:
            until = float(json.loads(self.store.read(self._lockout_key) or "{}").get("until", 0))
        except Exception:  # unreadable or unreachable: no lockout known
            return None
        now = time.time()
        return until if now < until <= now + self.lockout_seconds + 60 else None

    def _wait_out_lockout(self) -> AccessToken | None:
        """None when no lockout is recorded; a stored token if one appears; else TokenBudgetExceededError."""
        until = self._lockout_until()
        if until is None:
            return None
        token = self._wait_for_stored_token(min(self.lockout_wait_seconds, until - time.time()))
        if token is not None:
            return token
        raise self._budget_error(until)

    def _wait_for_stored_token(self, seconds: float) -> AccessToken | None:
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            token = self._from_store()
            if token is not None or time.monotonic() >= deadline:
                return token
            time.sleep(min(1.0, max(0.05, seconds / 20)))

    def _budget_error(self, until: float) -> TokenBudgetExceededError:
        remaining = max(0.0, until - time.time())
        return TokenBudgetExceededError(
            "Zoho refused a new access token: this refresh token's budget (10 tokens per 10 minutes) is "
            f"spent and Zoho blocks it for 15 to 30 quiet minutes. Try again after {_utc(until)} (in about "
            f"{remaining / 60:.0f} min) and avoid grants until then; check that every task shares one token "
            "cache (cache_backend) and that no other program uses this refresh token.",
            retry_after_seconds=remaining,
            retry_at=_utc(until),
        )
