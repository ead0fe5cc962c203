"""A scripted stand-in for Zoho on 127.0.0.1, for the few replies the sandbox cannot be told to give.

The sandbox answers as Zoho documents; these cases need Zoho (or a proxy in front of it) to misbehave in one
exact way: a token reply in HTML or without api_domain, a Bigin reply that is a gateway's HTML page, an empty
204, a data[] that is short, names an id never sent, or has malformed details; headers or a body trickled a
byte at a time, an endless chunked body, a gzip bomb, a reply that echoes the credentials it was sent. A
hostile reply stops by itself (TRICKLE_LIMIT_SECONDS, ENDLESS_LIMIT_BYTES) and when the client hangs up.
Real HTTP on loopback, so the client under test runs unchanged; every request is recorded so a test can see
exactly what was sent.
"""

from __future__ import annotations

import functools
import json
import secrets
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

TOKEN_PATH = "/oauth/v2/token"
GATEWAY_502_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# A hostile reply gives up on its own after this long or this much, whoever listens.
TRICKLE_LIMIT_SECONDS = 30.0
ENDLESS_LIMIT_BYTES = 8 * 1024**3
_ZEROS = b"0" * (1024 * 1024)


@dataclass(frozen=True)
class Reply:
    """A scripted reply. `trickle`: seconds between single bytes of the headers (`trickle_headers`) or of
    the body; `chunks`: a chunked body, sent piece by piece until it ends or the client goes."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    trickle: float = 0.0
    trickle_headers: bool = False
    chunks: Callable[[], Iterable[bytes]] | None = field(default=None, repr=False)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(payload).encode())

    @classmethod
    def html(cls, page: bytes, status: int = 200) -> Reply:
        return cls(status, page, "text/html; charset=utf-8")

    @classmethod
    def raw(cls, body: bytes, content_type: str = "application/json", status: int = 200) -> Reply:
        return cls(status, body, content_type)

    @classmethod
    def gzipped(cls, body: bytes, status: int = 200) -> Reply:
        return cls(status, body, headers=(("Content-Encoding", "gzip"),))


def trickling_headers(every: float = 1.5) -> Reply:
    """A reply whose status line and headers arrive one byte every `every` seconds."""
    return Reply(200, b'{"data": []}', trickle=every, trickle_headers=True)


def trickling_body(body: bytes, every: float = 1.5) -> Reply:
    """Headers at once, then the body one byte every `every` seconds."""
    return Reply(200, body, trickle=every)


def endless_body() -> Reply:
    """A chunked JSON array that never closes: 16 KiB pieces until ENDLESS_LIMIT_BYTES or the client goes
    (small, so that the server's own memory does not blur the client's)."""

    def pieces() -> Iterator[bytes]:
        yield b'{"data": ['
        piece = b'"' + _ZEROS[: 16 * 1024] + b'",'
        for _ in range(ENDLESS_LIMIT_BYTES // len(piece)):
            yield piece

    return Reply(200, chunks=pieces)


@functools.cache
def gzip_bomb(expanded: int = 1024**3) -> bytes:
    """One gzip member expanding to `expanded` bytes of a JSON string (about 1 MB for 1 GiB); built once."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"data": "')]
    for _ in range(expanded // len(_ZEROS)):
        parts.append(packer.compress(_ZEROS))
    parts.append(packer.compress(b'"}') + packer.flush())
    bomb = b"".join(parts)
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(bomb[:64])[:10] == b'{"data": "'  # real gzip
    return bomb


@dataclass(frozen=True)
class Seen:
    """One request the server received: method, path, ids it named (query or path) and its form fields."""

    method: str
    path: str
    ids: tuple[str, ...]
    form: dict[str, str] = field(repr=False)


TokenScript = Callable[[dict[str, str], str], Reply]  # (form fields, this server's URL) -> reply
ApiScript = Callable[[Seen], Reply]


def minted_token(form: dict[str, str], url: str) -> Reply:
    """A well-formed grant, in the sandbox's token shape (so the secrets audit knows it), for this server."""
    token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
    return Reply.json(
        {"access_token": token, "expires_in": 3600, "api_domain": url, "token_type": "Bearer", "scope": "x"}
    )


def relay_to(accounts_url: str, *, drop: tuple[str, ...] = ()) -> TokenScript:
    """Forward the grant to a real (sandbox) accounts server and strip some fields from its reply."""

    def relay(form: dict[str, str], url: str) -> Reply:
        data = urlencode(form).encode()
        request = urllib.request.Request(accounts_url + TOKEN_PATH, data=data, method="POST")  # noqa: S310
        with _NO_PROXY.open(request, timeout=30) as response:
            payload = json.loads(response.read())
        return Reply.json({key: value for key, value in payload.items() if key not in drop})

    return relay


def _ids_of(path: str, query: dict[str, str]) -> tuple[str, ...]:
    if "ids" in query:
        return tuple(item for item in query["ids"].split(",") if item)
    parts = [unquote(part) for part in path.split("/") if part]
    # /bigin/v2/{module}/{id}/actions/{action}: the single-record endpoint
    if len(parts) == 6 and parts[4] == "actions":
        return (parts[3],)
    return ()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up on a hostile reply is what the test wanted; anything else is printed."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class OddServer:
    """``with OddServer(api=script) as odd:``; ``odd.url`` serves the token endpoint and the API."""

    def __init__(self, *, api: ApiScript | None = None, token: TokenScript = minted_token) -> None:
        self.api_script = api or (lambda seen: Reply(404))
        self.token_script = token
        self.token_requests: list[Seen] = []
        self.api_requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> int:
        return len(self.token_requests) + len(self.api_requests)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Zoho's servers do, and chunked bodies

            def do_POST(self) -> None:
                self._answer("POST")

            def do_GET(self) -> None:
                self._answer("GET")

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                form = dict(parse_qsl(body.decode(errors="replace"))) if parts.path == TOKEN_PATH else {}
                seen = Seen(method, parts.path, _ids_of(parts.path, query), form)
                with server._lock:
                    (server.token_requests if parts.path == TOKEN_PATH else server.api_requests).append(seen)
                if parts.path == TOKEN_PATH:
                    reply = server.token_script(form, server.url)
                else:
                    reply = server.api_script(seen)
                try:
                    self._send(reply)
                except OSError:  # the client hung up: a hostile reply ends here
                    self.close_connection = True

            def _send(self, reply: Reply) -> None:
                headers = [("Content-Type", reply.content_type), *reply.headers]
                if reply.chunks is not None:
                    headers += [("Transfer-Encoding", "chunked"), ("Connection", "close")]
                elif reply.status != 204 and not any(name == "Content-Length" for name, _ in reply.headers):
                    headers.append(("Content-Length", str(len(reply.body))))
                if ("Connection", "close") in headers:
                    self.close_connection = True
                if reply.status == 204:
                    headers = []
                head = f"HTTP/1.1 {reply.status} Scripted\r\n" + "".join(
                    f"{name}: {value}\r\n" for name, value in headers
                )
                head_bytes = head.encode("latin-1") + b"\r\n"
                if reply.trickle_headers:
                    self._trickle(head_bytes, reply.trickle)
                    self._trickle(reply.body, reply.trickle)
                    return
                self.wfile.write(head_bytes)
                if reply.chunks is not None:
                    for piece in reply.chunks():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                    self.close_connection = True
                elif reply.trickle:
                    self.wfile.flush()
                    self._trickle(reply.body, reply.trickle)
                else:
                    self.wfile.write(reply.body)

            def _trickle(self, data: bytes, every: float) -> None:
                ends = time.monotonic() + TRICKLE_LIMIT_SECONDS
                for index in range(len(data)):
                    if time.monotonic() > ends:
                        self.close_connection = True
                        return
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    time.sleep(every)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `requests`, not stderr."""

        return Handler

    def __enter__(self) -> OddServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def odd_server(api: ApiScript | None = None, token: TokenScript = minted_token) -> Iterator[OddServer]:
    with OddServer(api=api, token=token) as server:
        yield server


def entry(record_id: Any, *, details: Any = None) -> dict[str, Any]:
    """A success data[] entry as Bigin gives it; ``details`` replaces the usual ``{"id": ...}``."""
    return {
        "code": "SUCCESS",
        "details": {"id": record_id} if details is None else details,
        "message": "tags updated successfully",
        "status": "success",
    }


class Echo:
    """A server that puts the credentials it was sent into every text field of its replies.

    The grant hands out a token (or, with ``grant_error``, refuses with the secrets in its
    error_description); the API answers each id with them in `message`, `details` and the tags
    (``whole=True``: a whole-request 400 whose `message` holds them). What a careless or hostile Zoho
    could do, so that a test can see that no channel shows them.
    """

    def __init__(self, *, grant_error: bool = False, whole: bool = False) -> None:
        self.grant_error = grant_error
        self.whole = whole
        self.secrets: list[str] = []

    @property
    def text(self) -> str:
        return " | ".join(self.secrets)

    def token(self, form: dict[str, str], url: str) -> Reply:
        self.secrets[:0] = [form.get("client_secret", ""), form.get("refresh_token", "")]
        if self.grant_error:
            return Reply.json({"error": "invalid_request", "error_description": f"bad request: {self.text}"})
        reply = minted_token(form, url)
        self.secrets.append(json.loads(reply.body)["access_token"])
        return reply

    def api(self, seen: Seen) -> Reply:
        if self.whole or not seen.ids:
            return Reply.json({"code": "INVALID_DATA", "message": f"cannot do it: {self.text}"}, 400)
        return Reply.json(
            {
                "data": [
                    {
                        "code": "INVALID_DATA",
                        "details": {"id": record_id, "echo": self.text, "nested": [{"again": self.text}]},
                        "message": f"refused for {self.text}",
                        "status": "error",
                    }
                    for record_id in seen.ids
                ]
            }
        )
