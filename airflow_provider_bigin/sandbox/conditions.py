"""Network conditions around the API: counting, the concurrency cap, latency and faults.

This is the outermost ASGI layer, so it sees uvicorn's own ``send``; that is how a "drop" reaches the
connection's transport and closes it with no reply at all, which a client sees as a connection error (not
as an HTTP status). Control endpoints pass straight through, uncounted and unharmed.

Order per request: count it (endpoint name, from the table in ``api/endpoints.py``; in-flight), refuse it for
its URL length when the profile's ``url_max_ids`` is exceeded (as a front server would, before Bigin sees it),
refuse it with 429 when the concurrency cap is exceeded, wait the latency, then draw a fault. Concurrency
counts Bigin API requests (every path outside ``/oauth/`` and the control endpoints), including the ones the
cap refuses: it measures what the client sent. A refusal for URL length counts in the stats' ``faults`` as
``url_too_long``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from airflow_provider_bigin.sandbox.api import errors as api_errors
from airflow_provider_bigin.sandbox.api.endpoints import endpoint_name
from airflow_provider_bigin.sandbox.config import CONTROL_PREFIX
from airflow_provider_bigin.sandbox.state import SandboxState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ACCOUNTS_PREFIX = "/oauth/"
_GATEWAY_PAGES = {
    502: b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body>Service Unavailable</body></html>",
}
# What a front server such as nginx answers a request line too long for its buffers (RFC 9110, 15.5.15).
_URI_TOO_LONG_PAGE = (
    b"<html><head><title>414 Request-URI Too Large</title></head>"
    b"<body><center><h1>414 Request-URI Too Large</h1></center></body></html>"
)


def ids_in_query(scope: Scope) -> int:
    """How many ids the request's ``ids`` query parameter lists."""
    query = scope.get("query_string", b"").decode("latin-1")
    values = [value for name, value in parse_qsl(query, keep_blank_values=True) if name == "ids"]
    return sum(1 for value in values for item in value.split(",") if item.strip())


async def _send_body(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_api_error(send: Send, error: api_errors.ApiError) -> None:
    await _send_body(send, error.http_status, json.dumps(error.body()).encode(), b"application/json")


async def drop_connection(raw_send: Send, receive: Receive) -> None:
    """Close the client's connection at once, without a byte of reply.

    uvicorn's ``send`` is a bound method of the request cycle, which holds the connection's transport;
    ``abort()`` closes it. Then wait for uvicorn to notice, so that it does not try to answer a 500.
    """
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise RuntimeError("dropping a connection needs the sandbox to run on uvicorn")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass


async def _disconnected_within(receive: Receive, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as the client hangs up (its read timeout fired)."""

    async def disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnect(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class NetworkConditions:
    """Wraps the FastAPI app; see the module docstring."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        state = self.state
        is_accounts = scope["path"].startswith(ACCOUNTS_PREFIX)
        counts_concurrency = not is_accounts
        name = endpoint_name(scope["method"], scope["path"])
        state.stats.request_started(name, counts_concurrency=counts_concurrency)
        try:
            await self._handle(scope, receive, send, is_accounts=is_accounts)
        finally:
            state.stats.request_finished(counts_concurrency=counts_concurrency)

    async def _refused_up_front(self, scope: Scope, send: Send) -> bool:
        """True when an API request was refused (and answered) for its URL length or the concurrency cap."""
        state, stats = self.state, self.state.stats
        profile = state.faults.profile
        if profile.url_max_ids is not None and ids_in_query(scope) > profile.url_max_ids:
            stats.faults["url_too_long"] += 1
            if profile.url_too_long_status == 414:
                await _send_body(send, 414, _URI_TOO_LONG_PAGE, b"text/html; charset=utf-8")
            else:
                await send_api_error(send, api_errors.url_too_long())
            return True
        if state.max_concurrency is not None and stats.in_flight > state.max_concurrency:
            stats.concurrency_rejections += 1
            await send_api_error(send, api_errors.too_many_requests())
            return True
        return False

    async def _handle(self, scope: Scope, receive: Receive, raw_send: Send, *, is_accounts: bool) -> None:
        state = self.state
        stats = state.stats

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.status_codes[str(message["status"])] += 1
            await raw_send(message)

        if not is_accounts and await self._refused_up_front(scope, send):
            return
        delay = state.latency_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        fault = state.faults.draw() if state.faults.applies_to(is_token_endpoint=is_accounts) else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        stats.faults[fault] += 1
        if fault == "5xx":
            status = state.faults.server_error_status()
            if status in _GATEWAY_PAGES:
                await _send_body(send, status, _GATEWAY_PAGES[status], b"text/html; charset=utf-8")
            else:
                await send_api_error(send, api_errors.internal_error())
        elif fault == "429":
            await send_api_error(send, api_errors.too_many_requests())
        elif fault == "drop":
            await drop_connection(raw_send, receive)
        else:
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)  # the change is applied ...
            if fault == "drop_after":
                await drop_connection(raw_send, receive)  # ... and its reply lost
                return
            if await _disconnected_within(
                receive, state.faults.profile.slow_seconds
            ):  # ... and its reply late
                return  # the client gave up waiting: nobody to answer
            for message in held:
                await send(message)
