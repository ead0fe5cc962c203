"""How a request travels: one pooled session, the token header, timeouts, one refresh on an invalid token.

What is sent is calls.py's; what a reply means is replies.py's. The one retry made here is for a 401
INVALID_TOKEN, answered by dropping the token, minting one and sending the same request once more; every
other retry is the caller's (retrying.py).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.datacenters import DataCenter, api_domain_for_token
from airflow_provider_bigin.client.exchange import request_failure
from airflow_provider_bigin.client.replies import ApiReply, is_invalid_token, reply_or_error
from airflow_provider_bigin.client.tokens.grant import AccessToken
from airflow_provider_bigin.client.tokens.source import TokenSource
from airflow_provider_bigin.errors import InvalidTokenError

# https://www.bigin.com/developer/docs/apis/v2/remove-tags.html ("Zoho-oauthtoken", not "Bearer";
# docs/zoho-facts.md, section 1)
AUTH_SCHEME = "Zoho-oauthtoken"
USER_AGENT = "airflow-provider-bigin"
UNREACHABLE_ADVICE = (
    "Check the network (a firewall or HTTPS_PROXY), and that the connection's data_center or api_domain "
    "names the Bigin account's data centre."
)


def new_session(concurrency: int) -> requests.Session:
    """A session whose pool holds a connection per concurrent call, and that never retries on its own."""
    session = requests.Session()
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
        except requests.RequestException as exc:
            raise request_failure(
                exc,
                service="Bigin",
                url=base,
                what=f"{request.method} {request.path}",
                advice=UNREACHABLE_ADVICE,
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
