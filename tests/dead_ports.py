"""A loopback port that refuses every connection for as long as a test needs it.

Binding port 0, closing and reusing the number races every other test that binds port 0: another server may
take it in between. Here the socket stays bound, but never listens, until the test ends, so no one else can
have the port and the kernel refuses each connect to it (Linux answers with a reset: "connection refused").
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def refused_url() -> Iterator[str]:
    """``with refused_url() as url:`` an ``http://127.0.0.1:<port>`` URL whose port refuses connections."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
