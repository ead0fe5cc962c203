"""One HTTP request to the Bigin API: the token header, the 401 refresh, and what each reply means.

Every reply becomes either data (`ApiReply`) or the typed error of its meaning. Retrying is the caller's job
(retrying.py); the one exception is a 401 INVALID_TOKEN, answered here by dropping the token, minting one and
sending the same request once more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from airflow_provider_bigin.auth import AccessToken
from airflow_provider_bigin.errors import (
    BadRequestError,
    BiginError,
    InvalidTokenError,
    PermissionDeniedError,
    RateLimitedError,
    ScopeMismatchError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_bigin.retrying import parse_retry_after
from airflow_provider_bigin.token_cache import TokenSource

# https://www.bigin.com/developer/docs/apis/v2/remove-tags.html ("Zoho-oauthtoken", not "Bearer")
AUTH_SCHEME = "Zoho-oauthtoken"
API_PREFIX = "/bigin/v2"
# Codes of a 401 that a new access token cures (Zoho CRM's token docs; reference/bigin-api.md, 1).
INVALID_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN"})
SCOPE_MISMATCH_CODES = frozenset({"OAUTH_SCOPE_MISMATCH"})
PERMISSION_CODES = frozenset({"NO_PERMISSION", "AUTHORIZATION_FAILED", "PERMISSION_DENIED"})
USER_AGENT = "airflow-provider-bigin"


@dataclass(frozen=True)
class ApiRequest:
    """A request without host or token; `scope` is the OAuth scope it needs, named when a token lacks it."""

    method: str
    path: str
    scope: str
    query: str | None = None
    json_body: Any = None


@dataclass(frozen=True)
class ApiReply:
    status: int
    payload: Any


def encode_query(params: Mapping[str, str | list[str]]) -> str:
    """A query string whose list values are comma-joined with literal commas, each item percent-encoded.

    requests' own encoding turns spaces into "+" and the separating commas into "%2C"; Zoho's sample sends
    `tag_names=From Email,In progress`, so spaces become "%20" and separators stay commas.
    """
    pieces = []
    for name, value in params.items():
        items = value if isinstance(value, list) else [value]
        pieces.append(f"{quote(name, safe='')}={','.join(quote(item, safe='') for item in items)}")
    return "&".join(pieces)


class Counters:
    """HTTP requests sent to the Bigin API, and how many of them re-sent an earlier one; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.api_calls = 0
        self.retries = 0

    def count_call(self, *, retry: bool) -> None:
        with self._lock:
            self.api_calls += 1
            if retry:
                self.retries += 1


def _payload(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return ...  # Ellipsis: a body that is not JSON (an HTML error page, a truncated reply)


def _scope_error(code: str, request: ApiRequest, status: int) -> ScopeMismatchError:
    return ScopeMismatchError(
        f"The access token lacks the scope for {request.method} {request.path} ({code}): add "
        f"{request.scope} (or a broader one such as ZohoBigin.modules.ALL) to the client's scopes in "
        "https://api-console.zoho.com, generate a new refresh token and store it in the connection.",
        scope=request.scope,
        code=code,
        http_status=status,
    )


def _access_error(status: int, code: str, said: str, request: ApiRequest) -> BiginError | None:
    """The error of a token, scope or permission refusal, or None when the reply is not one."""
    where = f"{request.method} {request.path}"
    if code in SCOPE_MISMATCH_CODES:
        return _scope_error(code, request, status)
    if status == 401:
        return InvalidTokenError(
            f"Bigin refused the access token on {where} ({said}): check that data_center and api_domain "
            "name the data centre of the Bigin account."
        )
    if code in PERMISSION_CODES or status == 403:
        return PermissionDeniedError(
            f"Bigin refused {where} ({said}): the Bigin user behind the refresh token lacks the permission; "
            "ask a Bigin administrator to grant it in the user's profile.",
            code=code or None,
            http_status=status,
        )
    return None


def error_for_reply(status: int, payload: Any, headers: Mapping[str, str], request: ApiRequest) -> BiginError:
    """The typed error for a whole-request failure (a reply that is not per-record data)."""
    body = payload if isinstance(payload, Mapping) else {}
    code = str(body.get("code") or "")
    message = str(body.get("message") or "")
    said = " ".join(part for part in (f"HTTP {status}", code) if part) + (f": {message}" if message else "")
    where = f"{request.method} {request.path}"
    if status == 429 or code == "TOO_MANY_REQUESTS":
        return RateLimitedError(
            f"Bigin rate limit on {where} ({said}); retrying later helps, and fewer concurrent calls "
            "(max_concurrency) or fewer calls per day avoid it.",
            retry_after_seconds=parse_retry_after(headers.get("Retry-After")),
            code=code or None,
            http_status=status,
        )
    if status >= 500:
        return ServerError(f"Bigin failed on {where} ({said}).", code=code or None, http_status=status)
    refusal = _access_error(status, code, said, request)
    if refusal is None and (payload is ... or 200 <= status < 400):
        refusal = UnexpectedResponseError(
            f"Bigin answered {where} with HTTP {status} and a body that is not its JSON: check that "
            "api_domain points at a Bigin API server.",
            http_status=status,
        )
    return refusal or BadRequestError(
        f"Bigin refused {where} ({said}): the request is malformed (module, URL or parameters); this "
        "is a bug if the inputs were valid, please report it.",
        code=code or None,
        http_status=status,
    )


class Transport:
    """Sends ApiRequests over one session with the current token, on the API domain the token names."""

    def __init__(
        self,
        *,
        session: requests.Session,
        tokens: TokenSource,
        api_domain_for: Callable[[AccessToken], str],
        timeout: tuple[float, float],
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._api_domain_for = api_domain_for
        self._timeout = timeout

    def _post_once(self, request: ApiRequest, token: AccessToken) -> requests.Response:
        url = self._api_domain_for(token) + request.path + (f"?{request.query}" if request.query else "")
        try:
            return self._session.request(
                request.method,
                url,
                headers={"Authorization": f"{AUTH_SCHEME} {token.value}"},
                json=request.json_body,
                timeout=self._timeout,
                allow_redirects=False,  # a redirect must not carry the token to another host
            )
        except requests.Timeout:
            raise TransportError(f"Bigin did not answer {request.method} {request.path} in time.") from None
        except requests.RequestException as exc:
            raise TransportError(
                f"No reply from Bigin to {request.method} {request.path} ({type(exc).__name__})."
            ) from None

    def send(self, request: ApiRequest, counters: Counters, *, retry: bool = False) -> ApiReply:
        """Send once (twice after a 401 INVALID_TOKEN); per-record replies (data[]) are returned as data.

        :param retry: True when this request re-sends an earlier one, for the counters.
        """
        token = self._tokens.get()
        counters.count_call(retry=retry)
        response = self._post_once(request, token)
        payload = _payload(response)
        if response.status_code == 401 and _code(payload) in INVALID_TOKEN_CODES:
            self._tokens.invalidate(token)
            token = self._tokens.get()
            counters.count_call(retry=True)
            response = self._post_once(request, token)
            payload = _payload(response)
            if response.status_code == 401 and _code(payload) in INVALID_TOKEN_CODES:
                raise InvalidTokenError(
                    "Bigin refused a freshly minted access token (INVALID_TOKEN): check that data_center "
                    "and api_domain name the data centre of the Bigin account."
                )
        status = response.status_code
        if payload is not ... and (
            200 <= status < 300 or (status == 400 and isinstance(payload, Mapping) and "data" in payload)
        ):
            return ApiReply(status=status, payload=payload)
        raise error_for_reply(status, payload, response.headers, request)


def _code(payload: Any) -> str | None:
    return str(payload.get("code")) if isinstance(payload, Mapping) and payload.get("code") else None
