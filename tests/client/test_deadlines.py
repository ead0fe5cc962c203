"""A deadline cuts only its own attempt's connection, never one that went back to the pool for another.

urllib3 returns a connection to its pool during the body's last read, before the attempt finishes. A deadline
that fires in that window must find the connection no longer its own: otherwise it shuts down the socket
another thread has just taken (a lost reply, a retry, a false may_have_applied). Real HTTP on loopback; the
watchdog's `_fire` is driven directly, at the exact point the race needs, so that nothing depends on timing.
"""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_bigin.client.bounded_read import read_capped
from airflow_provider_bigin.client.deadlines import DeadlineAdapter, _DeadlineHTTPPool, deadline
from airflow_provider_bigin.client.exchange import DIRECT
from tests.reliability.odd_server import OddServer, Reply

LONG = 60.0  # never passes on its own: the tests fire the deadlines themselves


def owner(connection: Any) -> Any:
    return getattr(connection, "_bigin_deadline", None)


def answered() -> OddServer:
    return OddServer(api=lambda seen: Reply.json({"data": []}))


def test_a_connection_back_in_the_pool_is_owned_by_nobody_and_a_late_deadline_leaves_it_alone() -> None:
    with answered() as odd, requests.Session() as session:
        session.mount("http://", DeadlineAdapter())
        with deadline(LONG) as first:
            response = session.get(f"{odd.url}/one", stream=True, proxies=DIRECT)
            connection: Any = response.raw.connection
            sock = connection.sock
            assert owner(connection) is first  # in use: the deadline may cut it
            assert read_capped(response.raw, "", 1024, "the reply") == b'{"data": []}'
            assert response.raw.connection is None  # urllib3 handed it back during the last read
            assert owner(connection) is None  # pooled: nobody's

            first._fire()  # the first attempt's deadline passes before it finishes
            assert first.expired

            with deadline(LONG) as second:  # another attempt takes the pooled connection
                again = session.get(f"{odd.url}/two", stream=True, proxies=DIRECT)
                assert connection.sock is sock  # not cut, so urllib3 did not reconnect
                assert again.raw.connection is connection
                assert owner(connection) is second
                first._fire()  # and the first deadline firing again still leaves it alone
                assert read_capped(again.raw, "", 1024, "the reply") == b'{"data": []}'
                assert not second.expired
    assert len(odd.api_requests) == 2


def test_a_connection_whose_deadline_passed_is_closed_instead_of_pooled() -> None:
    with answered() as odd:
        pool = _DeadlineHTTPPool("127.0.0.1", int(odd.url.rsplit(":", 1)[1]), maxsize=1)
        try:
            with deadline(LONG) as attempt:
                connection: Any = pool._get_conn()
                connection.connect()
                assert owner(connection) is attempt
                assert not attempt._fire()  # cut: its socket is shut down
                pool._put_conn(connection)
            assert connection.sock is None  # closed, not left in the pool half dead
            assert owner(connection) is None
            assert pool._get_conn() is not connection  # the slot is free for a fresh one
        finally:
            pool.close()
