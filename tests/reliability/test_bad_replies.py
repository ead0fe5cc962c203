"""Bad replies, one table: whatever Zoho or a proxy answers, a call ends in a typed error, in time, in bounds.

Each reply is served over real HTTP on loopback by the scripted server (odd_server.py), to the token grant and
to the API alike, with `timeout` of 2 s and one attempt: the call must end in the BiginError the case names
within timeout + 1 s. The table counts untyped exceptions (the goal is none) and prints the longest call. A
second test measures, with tracemalloc (Python's allocations, which hold every byte of a body), the peak
memory of a call against an endless body and a 1 MB gzip reply that expands to 1 GiB: under 4x the cap.
"""

from __future__ import annotations

import os
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.tokens.grant import MAX_TOKEN_REPLY_BYTES, request_access_token
from airflow_provider_bigin.client.transport import MAX_REPLY_BYTES, new_session
from airflow_provider_bigin.errors import (
    BiginError,
    ReplyTooLargeError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from tests.reliability.odd_server import (
    GATEWAY_502_PAGE,
    OddServer,
    Reply,
    endless_body,
    gzip_bomb,
    minted_token,
    trickling_body,
    trickling_headers,
)

TIMEOUT = 2.0
ONCE = RetryPolicy(max_attempts=1, initial_wait=0.001, max_wait=0.001, max_elapsed=5.0)
CLIENT_SECRET = "s3cret-bad-replies-0123456789abcdef"
REFRESH_TOKEN = "1000.badbadbadbadbadbadbadbadbadbad12.0123456789abcdef0123456789abcdef"
IDS = ["3000000000000000001", "3000000000000000002", "3000000000000000003"]
DEEP = b"[" * 100_000 + b"]" * 100_000


def nothing_then_drop() -> Reply:
    """Headers promising 1,000 bytes, then 10 of them and a closed connection."""
    return Reply(200, b'{"data": [', headers=(("Content-Length", "1000"), ("Connection", "close")))


@dataclass(frozen=True)
class BadReply:
    """One bad reply, and the error the token grant and the API call must end in."""

    name: str
    reply: Callable[[], Reply]
    token_error: type[BiginError]
    api_error: type[BiginError]


TABLE = [
    BadReply("trickled_headers", trickling_headers, TransportError, TransportError),
    BadReply("trickled_body", lambda: trickling_body(b'{"data": []}' * 20), TransportError, TransportError),
    BadReply("endless_body", endless_body, ReplyTooLargeError, ReplyTooLargeError),
    BadReply("gzip_bomb", lambda: Reply.gzipped(gzip_bomb()), ReplyTooLargeError, ReplyTooLargeError),
    BadReply("nested_100000_deep", lambda: Reply.raw(DEEP), UnexpectedResponseError, UnexpectedResponseError),
    BadReply(
        "integer_of_5000_digits",
        lambda: Reply.raw(b'{"data": [' + b"9" * 5000 + b"]}"),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply("nan", lambda: Reply.raw(b'{"data": [NaN]}'), UnexpectedResponseError, UnexpectedResponseError),
    BadReply(
        "infinity",
        lambda: Reply.raw(b'{"expires_in": Infinity}'),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "float_past_the_largest",
        lambda: Reply.raw(b'{"x": 1e999}'),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "not_utf8",
        lambda: Reply.raw(b'{"message": "\xff\xfe\xc3"}'),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "truncated_json",
        lambda: Reply.raw(b'{"data": [{"code": "SUC'),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "html_200",
        lambda: Reply.html(b"<html>Sign in</html>"),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply("empty_200", lambda: Reply.raw(b""), UnexpectedResponseError, UnexpectedResponseError),
    BadReply(
        "html_labelled_json",
        lambda: Reply.raw(b"<html>oops</html>", "application/json"),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "json_labelled_text_but_no_token",
        lambda: Reply.raw(b'{"data": 1}', "text/plain"),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "unasked_encoding",
        lambda: Reply(200, b"\x1b\x00", headers=(("Content-Encoding", "br"),)),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "corrupt_deflate",
        lambda: Reply(
            200, b"\xff\xfe junk that no deflate reads", headers=(("Content-Encoding", "deflate"),)
        ),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "deflate_corrupt_after_64_kib",
        lambda: Reply(
            200,
            zlib.compress(b'{"data": [' + os.urandom(200_000).hex().encode())[:150_000] + b"\xff" * 4096,
            headers=(("Content-Encoding", "deflate"),),
        ),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply(
        "corrupt_gzip",
        lambda: Reply(200, b"\x1f\x8b\x08\x00garbage", headers=(("Content-Encoding", "gzip"),)),
        UnexpectedResponseError,
        UnexpectedResponseError,
    ),
    BadReply("body_cut_short", nothing_then_drop, TransportError, TransportError),
    BadReply("gateway_502", lambda: Reply.html(GATEWAY_502_PAGE, 502), ServerError, ServerError),
]


@pytest.fixture(scope="module")
def longest() -> dict[str, float]:
    """The longest call of the table, the calls and the untyped exceptions; printed by the last test."""
    return FIGURES


FIGURES = {"seconds": 0.0, "untyped": 0.0, "calls": 0.0}


def settings(odd: OddServer) -> ClientSettings:
    return ClientSettings(
        client_id="1000.BADREPLIES",
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        accounts_url=odd.url,
        api_domain=odd.url,
        timeout=TIMEOUT,
    )


@pytest.fixture(scope="module", autouse=True)
def built_bomb() -> None:
    """The gzip bomb, built before any call (it takes seconds), so that no call waits for it."""
    gzip_bomb()


def grant(odd: OddServer) -> object:
    with new_session(1) as session:  # the client's own session, as TokenSource uses it
        return request_access_token(
            session,
            accounts_url=odd.url,
            client_id="1000.BADREPLIES",
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
            timeout=settings(odd).timeouts,
        )


def read_tags(odd: OddServer) -> object:
    with BiginClient(settings(odd), token_store=MemoryTokenStore(), retry=ONCE) as client:
        return client.get_tags("Contacts")


def timed(call: Callable[[], object], figures: dict[str, float]) -> BaseException | None:
    started = time.monotonic()
    error: BaseException | None = None
    try:
        call()
    except Exception as caught:  # the table counts what escapes the error hierarchy
        error = caught
    seconds = time.monotonic() - started
    figures["seconds"] = max(figures["seconds"], seconds)
    figures["calls"] += 1
    if error is not None and not isinstance(error, BiginError):
        figures["untyped"] += 1
    assert seconds <= TIMEOUT + 1, f"the call lasted {seconds:.2f} s"
    return error


@pytest.mark.parametrize("bad", TABLE, ids=[bad.name for bad in TABLE])
def test_a_bad_token_reply_ends_in_its_typed_error_in_time(bad: BadReply, longest: dict[str, float]) -> None:
    with OddServer(token=lambda form, url: bad.reply()) as odd:
        error = timed(lambda: grant(odd), longest)
    assert type(error) is bad.token_error, repr(error)
    assert CLIENT_SECRET not in str(error)
    assert REFRESH_TOKEN not in str(error)


@pytest.mark.parametrize("bad", TABLE, ids=[bad.name for bad in TABLE])
def test_a_bad_api_reply_ends_in_its_typed_error_in_time(bad: BadReply, longest: dict[str, float]) -> None:
    with OddServer(api=lambda seen: bad.reply()) as odd:
        error = timed(lambda: read_tags(odd), longest)
    if bad.name == "empty_200":  # an empty read is no tags, as Bigin's 204 is
        assert error is None
        return
    if bad.name == "json_labelled_text_but_no_token":  # JSON under any label is read; no tags in it
        assert error is None
        return
    assert type(error) is bad.api_error, repr(error)


def test_an_encoding_the_client_did_not_ask_for_is_not_quoted_unless_it_looks_like_one() -> None:
    echoed = "x; secret=1000.leak"
    with OddServer(api=lambda seen: Reply(200, b"{}", headers=(("Content-Encoding", echoed),))) as odd:
        error = timed(lambda: read_tags(odd), {"seconds": 0.0, "calls": 0, "untyped": 0})
    assert isinstance(error, UnexpectedResponseError)
    assert "1000.leak" not in str(error)
    assert "an unknown encoding" in str(error)


RUN_CASES = ["nested_100000_deep", "integer_of_5000_digits", "nan", "not_utf8", "endless_body", "gzip_bomb"]


@pytest.mark.parametrize("name", RUN_CASES)
def test_a_run_that_meets_a_bad_reply_raises_it_with_the_outcome(
    name: str, longest: dict[str, float]
) -> None:
    bad = next(bad for bad in TABLE if bad.name == name)
    with OddServer(api=lambda seen: bad.reply()) as odd:
        client = BiginClient(settings(odd), token_store=MemoryTokenStore(), retry=ONCE)
        with client:
            error = timed(lambda: client.remove_tags("Contacts", IDS, ["Stale"]), longest)
    assert isinstance(error, UnexpectedResponseError)
    assert error.outcome is not None
    assert [result.id for result in error.outcome.results] == IDS
    assert all(not result.ok for result in error.outcome.results)


def test_the_table_met_no_untyped_exception_and_no_late_call(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the table (pytest keeps the file's order) and prints its figures."""
    if not FIGURES["calls"]:
        pytest.skip("the table did not run in this session")
    with capsys.disabled():
        print(
            f"\nbad-reply table: {FIGURES['calls']:.0f} calls, the longest {FIGURES['seconds']:.2f} s with "
            f"timeout={TIMEOUT:g} s (goal {TIMEOUT + 1:g} s); untyped exceptions: {FIGURES['untyped']:.0f} "
            "(goal 0)"
        )
    assert FIGURES["untyped"] == 0
    assert FIGURES["seconds"] <= TIMEOUT + 1


def peak_growth(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    """The peak of Python's allocations during `call`, in bytes above where it started."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        try:
            call()
            error = None
        except Exception as caught:
            error = caught
        return tracemalloc.get_traced_memory()[1] - start, error
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_under_four_times_the_cap_against_endless_and_bombed_replies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bomb = gzip_bomb()  # built before measuring: the server's, not the client's
    assert len(bomb) < 1_100_000
    lines = []
    for name, reply in (
        ("endless body", endless_body),
        ("1 MB gzip bomb of 1 GiB", lambda: Reply.gzipped(bomb)),
    ):
        with OddServer(token=lambda form, url, reply=reply: reply()) as odd:
            grown, error = peak_growth(lambda odd=odd: grant(odd))
        assert isinstance(error, ReplyTooLargeError)
        assert grown < 4 * MAX_TOKEN_REPLY_BYTES
        lines.append(f"token grant, {name}: peak +{grown / 2**20:.1f} MiB (cap 1 MiB)")
        with OddServer(api=lambda seen, reply=reply: reply()) as odd:
            grown, error = peak_growth(lambda odd=odd: read_tags(odd))
        assert isinstance(error, ReplyTooLargeError)
        assert grown < 4 * MAX_REPLY_BYTES
        lines.append(f"API call, {name}: peak +{grown / 2**20:.1f} MiB (cap 16 MiB)")
    with capsys.disabled():
        print("\npeak memory growth (tracemalloc):\n  " + "\n  ".join(lines))


def test_an_api_reply_under_the_cap_still_reads_in_full() -> None:
    """The cap refuses only what is past it: a reply of 3 MiB (a 500-record reply is about 100 KB) reads."""
    entries = [{"code": "SUCCESS", "details": {"id": IDS[0]}, "message": "x" * 1000, "status": "success"}]
    big = Reply.json({"tags": [{"name": "t" * 1000, "id": str(n)} for n in range(3000)], "data": entries})
    with OddServer(api=lambda seen: big, token=minted_token) as odd:
        tags = read_tags(odd)
    assert isinstance(tags, list)
    assert len(tags) == 3000
