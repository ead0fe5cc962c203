"""What a task sent to Bigin and the HTTP status of each reply, for the system test's report.

The tag operators run as shipped; the tasks here only watch them. urllib3 logs each request line and its
reply's status at DEBUG: while a watched task runs, that logger is let through at DEBUG, the lines for
``/bigin/`` paths are kept, and every DEBUG line is then dropped, so none reaches the task log. Only the
method, the path, the query string and the status are kept: the token travels in a header, which urllib3 does
not log, and the token grant (``/oauth/v2/token``, its secrets in the form body) is left out all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from airflow_provider_bigin.operators.tags import AddTagsOperator, BiginTagsOperator, RemoveTagsOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

#: XCom key of a watched task's exchanges.
EXCHANGES_KEY = "http_exchanges"
# urllib3.connectionpool: log.debug('%s://%s:%s "%s %s %s" %s %s', scheme, host, port, method, url, version,
# status, length), the same in urllib3 1.26 and 2.x.
_URLLIB3_LOGGER = "urllib3.connectionpool"
_REQUEST_LINE = '%s://%s:%s "%s %s %s" %s %s'
_SECRET_WORDS = ("token", "secret", "code", "password")


@dataclass(frozen=True)
class Exchange:
    """One request to the Bigin API and the status of its reply."""

    method: str
    path: str
    query: dict[str, str]
    status: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _exchange(record: logging.LogRecord) -> Exchange | None:
    args = record.args
    if record.msg != _REQUEST_LINE or not isinstance(args, tuple) or len(args) != 8:
        return None
    method, target, status = str(args[3]), urlsplit(str(args[4])), args[6]
    if not target.path.startswith("/bigin/") or not isinstance(status, int):
        return None
    query = {
        name: "(hidden)" if any(word in name.lower() for word in _SECRET_WORDS) else value
        for name, value in parse_qsl(target.query, keep_blank_values=True)
    }
    return Exchange(method, target.path, query, status)


class _Watch(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Exchange] = []  # appended from the runner's threads; list.append is atomic

    def filter(self, record: logging.LogRecord) -> bool:
        exchange = _exchange(record)
        if exchange is not None:
            self.seen.append(exchange)
        return record.levelno > logging.DEBUG


@contextmanager
def watch_bigin_calls() -> Iterator[list[Exchange]]:
    """The Bigin API exchanges of the code run inside, in the order their replies came."""
    logger = logging.getLogger(_URLLIB3_LOGGER)
    watch, level = _Watch(), logger.level
    logger.addFilter(watch)
    logger.setLevel(logging.DEBUG)
    try:
        yield watch.seen
    finally:
        logger.setLevel(level)
        logger.removeFilter(watch)


def describe(exchange: dict[str, Any]) -> str:
    """``POST /bigin/v2/Contacts/1/actions/add_tags (JSON body) -> HTTP 200``."""
    query = exchange["query"]
    if exchange["path"].endswith("/actions/add_tags"):
        shape = "query parameters " + ", ".join(query) if "tag_names" in query else "JSON body"
    else:
        shape = "query " + "&".join(f"{name}={value}" for name, value in query.items()) if query else ""
    shown = f" ({shape})" if shape else ""
    return f"{exchange['method']} {exchange['path']}{shown} -> HTTP {exchange['status']}"


class _WatchedTagsOperator(BiginTagsOperator):
    """The shipped operator's execute, its exchanges logged and pushed as XCom ``http_exchanges``."""

    def execute(self, context: Context) -> list[dict[str, Any]] | None:
        with watch_bigin_calls() as seen:
            try:
                return super().execute(context)
            finally:
                exchanges = [exchange.to_dict() for exchange in seen]
                for exchange in exchanges:
                    self.log.info("Bigin answered %s", describe(exchange))
                context["ti"].xcom_push(key=EXCHANGES_KEY, value=exchanges)


class WatchedAddTagsOperator(_WatchedTagsOperator, AddTagsOperator):
    """AddTagsOperator, watched."""


class WatchedRemoveTagsOperator(_WatchedTagsOperator, RemoveTagsOperator):
    """RemoveTagsOperator, watched."""
