"""How a request travels: one pooled session, the token header, timeouts, one refresh on an invalid token.

What is sent is calls.py's; what a reply means is replies.py's. The one retry made here is for a 401
INVALID_TOKEN, answered by dropping the token, minting one and sending the same request once more; every
other retry is the caller's (retrying.py).
"""

from __future__ import annotations

import os
import threading
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.datacenters import DataCenter, api_domain_for_token
from airflow_provider_bigin.client.replies import ApiReply, is_invalid_token, reply_or_error
from airflow_provider_bigin.client.tokens.grant import AccessToken
from airflow_provider_bigin.client.tokens.source import TokenSource
from airflow_provider_bigin.errors import InvalidTokenError, TransportError

# https://www.bigin.com/developer/docs/apis/v2/remove-tags.html ("Zoho-oauthtoken", not "Bearer";
# docs/zoho-facts.md, section 1)
AUTH_SCHEME = "Zoho-oauthtoken"
USER_AGENT = "airflow-provider-bigin"


# True on Linux and other POSIX systems; macOS and Windows also read system proxy settings.
_PROXIES_FROM_ENVIRONMENT_ONLY = urllib.request.getproxies is urllib.request.getproxies_environment and (
    urllib.request.proxy_bypass is getattr(urllib.request, "proxy_bypass_environment", None)
)


class _Session(requests.Session):
    """A Session that reads the environment's proxy and CA bundle settings once per host, not per request.

    requests reads them anew for every request: four passes over os.environ, each entry decoded, which in an
    Airflow worker (or a Kubernetes pod, one variable per service) costs more than the rest of preparing a
    500-id call. Kept per scheme and host, and dropped when the environment or the session's own settings
    change, the settings are the ones requests would have found. Only where proxies come from the
    environment alone (not macOS's or Windows's system settings) and os.environ keeps its data where
    CPython does; elsewhere, and for requests that bring their own settings, requests reads as it always does.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environ_seen: dict[Any, Any] | None = None
        self._settings_by_host: dict[Any, Any] = {}

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        environ = getattr(os.environ, "_data", None)
        if (
            proxies
            or stream is not None
            or verify is not None
            or cert is not None
            or type(environ) is not dict
            or not _PROXIES_FROM_ENVIRONMENT_ONLY
        ):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if environ != self._environ_seen:
            self._environ_seen = dict(environ)
            self._settings_by_host.clear()
        try:
            key = (
                urlsplit(url)[:2],
                self.trust_env,
                tuple(self.proxies.items()),
                self.stream,
                self.verify,
                self.cert,
            )
            settings = self._settings_by_host.get(key)
        except TypeError:  # a setting that cannot be a key (a list for cert): read as requests does
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings is None:
            settings = self._settings_by_host[key] = super().merge_environment_settings(
                url, {}, None, None, None
            )
        return {**settings, "proxies": dict(settings["proxies"])}


def new_session(concurrency: int) -> requests.Session:
    """A session whose pool holds a connection per concurrent call, and that never retries on its own."""
    session = _Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(concurrency, 2), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    return session


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


class Transport:
    """Sends ApiRequests over one session with the current token, to the connection's API domain.

    :param explicit_api_domain: True when the connection overrides the API domain (see
        datacenters.api_domain_for_token).
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        tokens: TokenSource,
        data_center: DataCenter,
        explicit_api_domain: bool,
        timeout: tuple[float, float],
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._dc = data_center
        self._explicit = explicit_api_domain
        self._timeout = timeout
        self.api_domain: str | None = None  # known once a token was checked

    def _post_once(self, request: ApiRequest, token: AccessToken) -> requests.Response:
        base = api_domain_for_token(self._dc, token.api_domain, explicit=self._explicit)
        self.api_domain = base
        url = base + request.path + (f"?{request.query}" if request.query else "")
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
        if is_invalid_token(response.status_code, payload):
            self._tokens.invalidate(token)
            token = self._tokens.get()
            counters.count_call(retry=True)
            response = self._post_once(request, token)
            payload = _payload(response)
            if is_invalid_token(response.status_code, payload):
                raise InvalidTokenError(
                    "Bigin refused a freshly minted access token (INVALID_TOKEN): check that data_center "
                    "and api_domain name the data centre of the Bigin account."
                )
        return reply_or_error(response.status_code, payload, response.headers, request)
