"""Running a sandbox: uvicorn in a background thread of this process, or the CLI in a subprocess.

Both bind 127.0.0.1 only. The socket is bound before the server starts, so port 0 resolves to a known free
port at once, and a thread-mode start cannot race another process for it. A stop waits at most
``SHUTDOWN_GRACE_SECONDS`` for requests in flight, then answers each one 503 (``ShutdownGuard``) instead of
letting uvicorn log the cancelled request's traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import IO, Any

HOST = "127.0.0.1"
BACKLOG = 2048
SHUTDOWN_GRACE_SECONDS = 1  # a "slow" fault's reply is not worth waiting for at shutdown
LISTENING_LINE = re.compile(r"^Bigin sandbox listening on (http://127\.0\.0\.1:\d+)")
# uvicorn's own line when the grace period ends; ShutdownGuard answers those requests and counts them instead.
_CANCEL_NOTICE = "Cancel %s running task(s), timeout graceful shutdown exceeded"

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ShutdownGuard:
    """Wraps the app: a request that the server's shutdown cancels gets a 503 in Zoho's error shape.

    Stopping is the sandbox's own choice, not a fault of the request, so it must not show as an
    "Exception in ASGI application" traceback; ``cancelled`` counts such requests for the stop message.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cancelled = 0

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        # `send` goes on unwrapped: the drop faults reach the connection through it (conditions.py).
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if scope["type"] != "http":
                raise
            self.cancelled += 1
            protocol = getattr(send, "__self__", None)  # uvicorn's connection, which knows what it sent
            await _answer_stopping(send, started=bool(getattr(protocol, "response_started", False)))


async def _answer_stopping(send: Send, *, started: bool) -> None:
    if not started:
        body = (
            b'{"code":"SANDBOX_STOPPING","details":{},"message":"the sandbox is stopping; '
            b'this request was not completed","status":"error"}'
        )
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    else:  # a reply cut short: end it, the client sees a short body
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _CancelNoticeFilter(logging.Filter):
    """Drops uvicorn's "Cancel N running task(s)" ERROR: ShutdownGuard answers and counts those requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _CANCEL_NOTICE


def bind_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(BACKLOG)  # connections wait in the backlog until uvicorn accepts: no start-up race
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_server(app: ShutdownGuard) -> Any:
    """A uvicorn server for the app: quiet, no access log, no lifespan, short graceful shutdown."""
    import uvicorn  # noqa: PLC0415 - kept out of import time: the pytest plugin imports this package

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        backlog=BACKLOG,
    )
    notices = logging.getLogger("uvicorn.error")  # configured by uvicorn.Config just above
    if not any(isinstance(existing, _CancelNoticeFilter) for existing in notices.filters):
        notices.addFilter(_CancelNoticeFilter())
    return uvicorn.Server(config)


class ThreadServer:
    """uvicorn serving ``app`` on its own event loop in a daemon thread."""

    def __init__(self, app: Any, port: int) -> None:
        self._socket = bind_socket(port)
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn_server(ShutdownGuard(app))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"bigin-sandbox-{self.port}",
            daemon=True,
        )

    def start(self, timeout: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server thread stopped during start-up; see the log above")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the sandbox did not start within {timeout} seconds")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()


class ProcessServer:
    """``python -m airflow_provider_bigin.sandbox`` in a subprocess; its stdout names the URL."""

    def __init__(self, cli_args: Sequence[str]) -> None:
        self._command = [sys.executable, "-m", "airflow_provider_bigin.sandbox", *cli_args]
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.url = ""

    def start(self, timeout: float) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
            self._command, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        threading.Thread(target=self._pump, args=(self._process.stdout,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self.url:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise TimeoutError(f"the sandbox process did not start within {timeout} seconds") from None
            if line is None:
                code = self._process.wait()
                raise RuntimeError(
                    f"the sandbox process exited with code {code} during start-up; see its stderr"
                )
            match = LISTENING_LINE.match(line)
            if match:
                self.url = match.group(1)

    def _pump(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            self.output.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(OSError):
            if process.stdout is not None:
                process.stdout.close()
