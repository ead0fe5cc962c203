"""Proxies: plain-http loopback (the sandbox) never goes through one; https to Zoho honours HTTPS_PROXY.

A tiny proxy on loopback logs every request line it gets (a CONNECT for https) and refuses it, so that no
real Zoho host is ever contacted. With HTTP_PROXY and ALL_PROXY pointing at it and no NO_PROXY, calls to
the sandbox's http://127.0.0.1 go direct; a grant to https://accounts.zoho.com asks the proxy for a tunnel
(and is refused there); NO_PROXY is honoured as requests reads it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.exchange import DIRECT, proxies_for
from airflow_provider_bigin.client.tokens.grant import request_access_token
from airflow_provider_bigin.client.transport import new_session
from airflow_provider_bigin.errors import HostUnreachableError
from tests.reliability.odd_server import OddServer, Reply

ONCE = RetryPolicy(max_attempts=1, initial_wait=0.001, max_wait=0.001, max_elapsed=5.0)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class LoggingProxy:
    """Accepts connections, records each request line, answers 403 and hangs up."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    head = conn.recv(65536).decode("latin-1")
                    self.lines.append(head.split("\r\n", 1)[0])
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoggingProxy]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    server = LoggingProxy()
    yield server
    server.close()


def test_the_sandbox_on_loopback_is_never_proxied(
    proxy: LoggingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with OddServer(api=lambda seen: Reply.json({"tags": [{"id": "1", "name": "Stale"}]})) as odd:
        settings = ClientSettings(
            client_id="1000.PROXY",
            client_secret="proxy-secret-0123456789abcdef",
            refresh_token="1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
            accounts_url=odd.url,
            api_domain=odd.url,
        )
        with BiginClient(settings, token_store=MemoryTokenStore(), retry=ONCE) as client:
            tags = client.get_tags("Contacts")
        assert (len(odd.token_requests), len(odd.api_requests)) == (1, 1)
    assert tags == [{"id": "1", "name": "Stale"}]
    assert proxy.lines == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost:1/x", "http://[::1]:2/x"])
def test_every_loopback_spelling_goes_direct(url: str) -> None:
    assert proxies_for(url) is DIRECT


def test_an_https_grant_to_zoho_asks_the_proxy_for_a_tunnel(
    proxy: LoggingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with new_session(1) as session, pytest.raises(HostUnreachableError) as caught:
        request_access_token(
            session,
            accounts_url="https://accounts.zoho.com",
            client_id="1000.PROXY",
            client_secret="proxy-secret-0123456789abcdef",
            refresh_token="1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
            timeout=(2.0, 2.0),
        )
    assert [line.rsplit(" ", 1)[0] for line in proxy.lines] == ["CONNECT accounts.zoho.com:443"]
    assert caught.value.cause == "the proxy refused or could not be reached"


@pytest.mark.parametrize(
    ("no_proxy", "proxied"), [("", True), ("zoho.com", False), (".zoho.com", False), ("zohoapis.com", True)]
)
def test_no_proxy_is_honoured_for_https_as_requests_reads_it(
    proxy: LoggingProxy, monkeypatch: pytest.MonkeyPatch, no_proxy: str, proxied: bool
) -> None:
    """Resolved without sending: the proxies requests would use for this exchange's arguments."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    if no_proxy:
        monkeypatch.setenv("NO_PROXY", no_proxy)
    url = "https://accounts.zoho.com/oauth/v2/token"
    with requests.Session() as session:
        chosen = session.merge_environment_settings(url, proxies_for(url) or {}, True, None, None)["proxies"]
    assert (chosen.get("https") == proxy.url) is proxied
