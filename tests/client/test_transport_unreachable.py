"""An unreachable host is HostUnreachableError naming host and cause; a lost reply stays a TransportError.

Real sockets on loopback: a port bound but never listening (refused), https spoken to a plain-http server (TLS
failure), a listener whose queue is full (connect timeout), a server that takes the request and hangs up
(reset after sending). Only name resolution is simulated, so that no DNS server is ever asked.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from unittest import mock

import pytest
import requests

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.tokens.grant import request_access_token
from airflow_provider_bigin.errors import HostUnreachableError, TransportError
from tests.dead_ports import refused_url
from tests.reliability.odd_server import OddServer, minted_token

SECRET = "0123456789abcdef0123456789abcdef01234567"
REFRESH = "1000.feedfacefeedfacefeedfacefeedface.0123456789abcdef0123456789abcdef"
ONCE = RetryPolicy(max_attempts=1, initial_wait=0.001, max_wait=0.001, max_elapsed=5.0)


@contextmanager
def hanging_up_server() -> Iterator[str]:
    """A server that reads the request and closes the connection without a reply."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                with suppress(OSError):
                    conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def grant(accounts_url: str, timeout: tuple[float, float] = (2.0, 2.0)) -> object:
    with requests.Session() as session:
        return request_access_token(
            session,
            accounts_url=accounts_url,
            client_id="1000.CLIENT",
            client_secret=SECRET,
            refresh_token=REFRESH,
            timeout=timeout,
        )


def assert_safe(error: BaseException) -> None:
    text = str(error)
    assert SECRET not in text
    assert REFRESH not in text
    assert "?" not in text


def test_a_refused_token_grant_names_the_host_and_the_cause() -> None:
    with refused_url() as url, pytest.raises(HostUnreachableError) as caught:
        grant(url)
    assert (caught.value.host, caught.value.cause) == (url, "connection refused")
    assert f"Could not reach Zoho Accounts at {url}" in str(caught.value)
    assert "nothing was sent" in str(caught.value)
    assert_safe(caught.value)


def test_https_to_a_plain_http_server_is_a_tls_failure() -> None:
    with OddServer() as odd, pytest.raises(HostUnreachableError) as caught:
        grant(odd.url.replace("http://", "https://"))
    assert caught.value.cause == "TLS failure"
    assert caught.value.host.startswith("https://127.0.0.1:")


def test_a_name_that_does_not_resolve_is_unreachable() -> None:
    refused = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with mock.patch("socket.getaddrinfo", side_effect=refused), pytest.raises(HostUnreachableError) as caught:
        grant("https://accounts.zoho.invalid")
    assert (caught.value.host, caught.value.cause) == ("https://accounts.zoho.invalid", "name not resolved")


def test_a_full_listen_queue_is_a_connect_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue; the kernel then drops further SYNs
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        with pytest.raises(TransportError) as caught:
            grant(url, timeout=(0.5, 0.5))
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert isinstance(caught.value, HostUnreachableError)
    assert caught.value.cause == "connect timeout"


def test_a_reply_lost_after_sending_is_a_plain_transport_error() -> None:
    with hanging_up_server() as url, pytest.raises(TransportError) as caught:
        grant(url)
    assert not isinstance(caught.value, HostUnreachableError)
    assert "the request was sent" in str(caught.value)


def test_a_dead_api_host_is_unreachable_and_the_message_has_no_query() -> None:
    with refused_url() as dead, OddServer(token=lambda form, url: minted_token(form, dead)) as odd:
        settings = ClientSettings(
            client_id="1000.CLIENT",
            client_secret=SECRET,
            refresh_token=REFRESH,
            accounts_url=odd.url,
            api_domain=dead,
        )
        client = BiginClient(settings, token_store=MemoryTokenStore(), retry=ONCE)
        with client, pytest.raises(HostUnreachableError) as caught:
            client.get_tags("Contacts")
    assert (caught.value.host, caught.value.cause) == (dead, "connection refused")
    assert "GET /bigin/v2/settings/tags" in str(caught.value)
    assert_safe(caught.value)
