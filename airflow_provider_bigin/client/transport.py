"""How a request travels: one pooled session, the token header, one refresh on an invalid token.

Each attempt is bounded by exchange.py: a deadline of the whole `timeout` and a cap on the reply's size,
MAX_REPLY_BYTES once decompressed (a 500-record reply is about 100 KB). What is sent is calls.py's; what a
reply means is replies.py's. The one retry made here is for INVALID_TOKEN (401, or 400 as other Zoho
services send it), answered by dropping the token, minting one and sending the same request once more, with
a WARNING line; every other retry is the caller's (retrying.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests

from airflow_provider_bigin.client.bounded_read import MIB
from airflow_provider_bigin.client.calls import ApiRequest
from airflow_provider_bigin.client.datacenters import DataCenter, api_domain_for_token
from airflow_provider_bigin.client.deadlines import DeadlineAdapter
from airflow_provider_bigin.client.exchange import HttpReply, exchange
from airflow_provider_bigin.client.replies import ApiReply, is_invalid_token, reply_or_error
from airflow_provider_bigin.client.scrubbing import scrub_body
from airflow_provider_bigin.client.strict_json import NotJsonError, loads_strict
from airflow_provider_bigin.client.tokens.grant import AccessToken
from airflow_provider_bigin.client.tokens.source import TokenSource
from airflow_provider_bigin.errors import InvalidTokenError

log = logging.getLogger(__name__)

# https://www.bigin.com/developer/docs/apis/v2/remove-tags.html ("Zoho-oauthtoken", not "Bearer";
# docs/zoho-facts.md, section 1)
AUTH_SCHEME = "Zoho-oauthtoken"
USER_AGENT = "airflow-provider-bigin"
#: The most a reply may hold once decompressed; past it the reply is refused with ReplyTooLargeError.
MAX_REPLY_BYTES = 16 * MIB
UNREACHABLE_ADVICE = (
    "Check the network (a firewall or HTTPS_PROXY), and that the connection's data_center or api_domain "
    "names the Bigin account's data centre."
)


def new_session(concurrency: int) -> requests.Session:
    """A session whose pool holds a connection per concurrent call, never retries on its own, and whose
    connections the attempt's deadline can cut while waiting for headers (deadlines.py)."""
    session = requests.Session()
    adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=max(concurrency, 2), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # Accept-Encoding is set on each request by exchange.py, for a session of the caller's own too.
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
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self._session = session
        self._max_reply_bytes = max_reply_bytes
        self._tokens = tokens
        self._dc = data_center
        self._explicit = explicit_api_domain
        self._timeout = timeout
        self.api_domain: str | None = None  # known once a token was checked

    def _post_once(self, request: ApiRequest, token: AccessToken) -> HttpReply:
        base = api_domain_for_token(self._dc, token.api_domain, explicit=self._explicit)
        self.api_domain = base
        return exchange(
            self._session,
            request.method,
            base + request.path + (f"?{request.query}" if request.query else ""),
            timeout=self._timeout,
            max_bytes=self._max_reply_bytes,
            service="Bigin",
            what=f"{request.method} {request.path}",
            advice=UNREACHABLE_ADVICE,
            headers={"Authorization": f"{AUTH_SCHEME} {token.value}"},
            json_body=request.json_body,
        )

    def _payload(self, reply: HttpReply, token: AccessToken) -> Any:
        """The parsed body, scrubbed of every credential first: None when empty, Ellipsis when not strict
        JSON (an HTML page, a truncated reply)."""
        if not reply.body:
            return None
        try:
            return loads_strict(scrub_body(reply.body, (*self._tokens.secret_values(), token.value)))
        except NotJsonError:
            return ...

    def send(self, request: ApiRequest, counters: Counters, *, retry: bool = False) -> ApiReply:
        """Send once (twice after INVALID_TOKEN); per-record replies (data[]) are returned as data.

        :param retry: True when this request re-sends an earlier one, for the counters.
        """
        token = self._tokens.get()
        counters.count_call(retry=retry)
        reply = self._post_once(request, token)
        payload = self._payload(reply, token)
        if is_invalid_token(reply.status, payload):
            log.warning(
                "%s %s: Bigin answered HTTP %d INVALID_TOKEN; dropping the access token, minting a new one "
                "and sending the call once more.",
                request.method,
                request.path,
                reply.status,
            )
            self._tokens.invalidate(token)
            token = self._tokens.get()
            counters.count_call(retry=True)
            reply = self._post_once(request, token)
            payload = self._payload(reply, token)
            if is_invalid_token(reply.status, payload):
                raise InvalidTokenError(
                    "Bigin refused a freshly minted access token (INVALID_TOKEN): check that data_center "
                    "and api_domain name the data centre of the Bigin account."
                )
        return reply_or_error(reply.status, payload, reply.headers, request)
