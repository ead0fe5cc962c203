"""A reply body read in chunks and refused past its cap, the cap counted after decompression.

The body is read compressed and decoded here, never more than the room left under the cap per step, so that
neither an endless body nor a gzip reply that expands a thousandfold can take more memory than the cap and a
chunk. urllib3 bounds its own decoding only since 2.6, and Airflow's constraints of 3.1 pin an older one; this
reader does not depend on which is installed. Only the encodings the session asks for are decoded.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from airflow_provider_bigin.errors import ReplyTooLargeError, UnexpectedResponseError

#: What the client asks for, and all it decodes (requests would add br and zstd when their modules exist).
ACCEPT_ENCODING = "gzip, deflate"
CHUNK_BYTES = 64 * 1024
_ENCODING_NAME = re.compile(r"[A-Za-z0-9.+-]{1,20}")
MIB = 1024 * 1024


class _Decoder:
    """Bounded decompression of one Content-Encoding (gzip, deflate or none)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._wbits = 0
        self._tail = b""
        self._started = False  # some data was decoded: no more switching to raw deflate
        if encoding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif encoding == "deflate":
            self._wbits = zlib.MAX_WBITS  # zlib-wrapped as the RFC says; raw deflate is tried on failure
        elif encoding not in ("", "identity"):
            # Named only if it looks like an encoding: the header is the server's text, echoes included.
            named = repr(encoding) if _ENCODING_NAME.fullmatch(encoding) else "an unknown encoding"
            raise UnexpectedResponseError(
                f"The reply is encoded as {named}, which the client did not ask for ({ACCEPT_ENCODING})."
            )
        if self._wbits:
            self._zlib = zlib.decompressobj(self._wbits)

    def decode(self, data: bytes, room: int) -> bytes:
        """At most `room` bytes decoded from `data` and what earlier calls left unread."""
        if self._zlib is None:
            return data
        data, self._tail = self._tail + data, b""
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            # Raw deflate, as some servers send it, can only be told apart at the very start of the body.
            if self.encoding != "deflate" or self._wbits < 0 or self._started:
                raise UnexpectedResponseError(f"The reply's {self.encoding} data is corrupt.") from None
            self._wbits = -zlib.MAX_WBITS
            self._zlib = zlib.decompressobj(self._wbits)
            try:
                out = self._zlib.decompress(data, room)
            except zlib.error:
                raise UnexpectedResponseError(f"The reply's {self.encoding} data is corrupt.") from None
        self._started = True
        self._tail = self._zlib.unconsumed_tail
        if self._zlib.eof and self._zlib.unused_data:  # another gzip member follows
            self._tail = self._zlib.unused_data + self._tail
            self._zlib = zlib.decompressobj(self._wbits)
        return out  # type: ignore[no-any-return]

    def check_complete(self) -> None:
        """At the end of the body: a compressed stream must have ended too, or the reply was cut short."""
        if self._zlib is not None and not self._zlib.eof:
            raise UnexpectedResponseError(f"The reply's {self.encoding} data ends before its end marker.")

    @property
    def pending(self) -> bool:
        """True while input is left over that may still decode to more bytes."""
        return bool(self._tail)


def read_capped(raw: Any, encoding: str, cap: int, what: str) -> bytearray:
    """The whole decoded body of urllib3 response `raw`, or ReplyTooLargeError once past `cap` bytes.

    :param encoding: the reply's Content-Encoding, lowercase.
    :param what: who answered what, for the message ("Bigin's reply to POST ...").
    """
    decoder = _Decoder(encoding)
    body = bytearray()
    while True:
        chunk = raw.read(CHUNK_BYTES, decode_content=False)
        data = chunk
        while True:
            piece = decoder.decode(data, min(CHUNK_BYTES, cap + 1 - len(body)))
            body += piece
            if len(body) > cap:
                raise ReplyTooLargeError(
                    f"{what} grew past {cap / MIB:g} MiB{' once decompressed' if encoding else ''} and was "
                    "refused unread: check that the host is a Zoho server (or a proxy in front of one)."
                )
            if not (decoder.pending and piece):
                break
            data = b""
        if not chunk:
            decoder.check_complete()
            return body
