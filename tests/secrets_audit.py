"""The secrets audit: any test fails if a secret reaches a log, an exception, an XCom or a rendered field.

A pytest plugin (registered in tests/conftest.py) with an autouse fixture, ``secrets_audit``. The secrets are:

* the client secret and refresh token of every client of every ``Sandbox`` started in this session, read when
  the sandbox starts (thread or process mode alike);
* the client secret and refresh token of every ``ClientSettings`` the provider is given during the test, so a
  test's own fake credentials count too;
* every access token a sandbox minted: the sandbox mints ``1000.<32 hex>.<32 hex>``, so they are found by
  that shape wherever they were minted, even by a sandbox or a task in another process. The planted-leak test
  mints a real one and checks that the audit sees it, so a change of shape cannot go unnoticed.

What is scanned, per test:

* log records: a handler on the root logger at DEBUG for the test's duration;
* Airflow task log files written during the test, under AIRFLOW_HOME/logs and under the test's tmp_path;
* exceptions: every BiginError created during the test (its text, repr, args and ``.outcome``);
* XCom values and rendered template fields written to the metadata DB during the test;
* reprs of the provider's objects built during the test (clients, their settings and token sources);
* the test's own report: its failure text and captured output, for every phase. A secret found there is
  also blanked out of the report, so that a CI log never shows it.

A finding fails the test (at teardown, or in its report) and names the channel, the place and the kind of
secret, never the secret itself. A test that plants leaks on purpose calls ``secrets_audit.scan()`` and then
``secrets_audit.pardon(leaks)``. A test that must put a secret where the audit looks (say, credentials in a
query string, as Zoho's own samples do, which urllib3 then logs) says so:
``@pytest.mark.secrets_audit_exempt(reason="...", channels=("log", "test report"))``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

# Sandbox-minted tokens: "1000." + 32 hex + "." + 32 hex (airflow_provider_bigin/sandbox/accounts.py).
MINTED_TOKEN = re.compile(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}")
# Shorter "secrets" are test placeholders such as "x"; matching them would flag every text.
MIN_SECRET_LENGTH = 8
# Third-party loggers that would flood a DEBUG root logger with lines that can hold no provider secret.
QUIET_LOGGERS = ("sqlalchemy", "alembic", "asyncio", "filelock", "fsspec", "httpcore", "httpx", "multipart")
# A log file is "written during the test" if modified after the test started, less this slack for file
# systems that keep coarse modification times.
CLOCK_SLACK_SECONDS = 1.0
EXCERPT_CHARS = 40

CLIENT_SECRET = "client secret"
REFRESH_TOKEN = "refresh token"
ACCESS_TOKEN = "access token"

# Channels, as reported.
LOG = "log"
LOG_FILE = "task log file"
EXCEPTION = "exception"
XCOM = "XCom"
RENDERED = "rendered field"
REPR = "repr"
REPORT = "test report"
ALL_CHANNELS = (LOG, LOG_FILE, EXCEPTION, XCOM, RENDERED, REPR, REPORT)


@dataclass(frozen=True)
class Leak:
    """A secret found in a channel. ``str()`` names where and what, never the value."""

    channel: str
    where: str
    kind: str
    excerpt: str
    value: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.kind} in {self.channel} ({self.where}): ...{self.excerpt}..."


class SecretBook:
    """The secrets known so far, each with its kind; the session's and the current test's."""

    def __init__(self) -> None:
        self.session: dict[str, str] = {}
        self.test: dict[str, str] = {}

    def add(self, value: object, kind: str, *, session: bool) -> None:
        if isinstance(value, str) and len(value.strip()) >= MIN_SECRET_LENGTH:
            (self.session if session else self.test).setdefault(value.strip(), kind)

    def known(self) -> dict[str, str]:
        return {**self.test, **self.session}


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """The text with every known secret and every minted-token-shaped string replaced by its kind."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, f"<{secrets[value]}>")
    return MINTED_TOKEN.sub(f"<{ACCESS_TOKEN}>", text)


def find_leaks(
    material: Iterable[tuple[str, str, str]],
    secrets: Mapping[str, str],
    *,
    pardoned: frozenset[str] = frozenset(),
) -> list[Leak]:
    """Every secret in the material: ``(channel, where, text)`` triples; each leak once per place.

    ``secrets`` maps known values to their kind; strings shaped like a minted token are secrets too (an
    access token, unless a known value of another kind). ``pardoned`` values were planted on purpose.
    """
    leaks: list[Leak] = []
    for channel, where, text in material:
        if not text:
            continue
        found: dict[str, str] = {}
        for value, kind in secrets.items():
            if value in text:
                found.setdefault(value, kind)
        for match in MINTED_TOKEN.finditer(text):
            found.setdefault(match.group(0), secrets.get(match.group(0), ACCESS_TOKEN))
        for value, kind in found.items():
            if value not in pardoned:
                leaks.append(Leak(channel, where, kind, _excerpt(text, value, secrets), value))
    return leaks


def _excerpt(text: str, value: str, secrets: Mapping[str, str]) -> str:
    """The text around ``value``, redacted before it is cut, so that no part of a secret shows."""
    start = text.index(value)
    before = redact(text[:start], secrets)[-EXCERPT_CHARS:]
    after = redact(text[start + len(value) :], secrets)[:EXCERPT_CHARS]
    placeholder = f"<{secrets.get(value, ACCESS_TOKEN)}>"
    return f"{before}{placeholder}{after}".replace("\n", " ")


def failure_text(leaks: Iterable[Leak]) -> str:
    lines = [str(leak) for leak in leaks]
    return "secrets audit: a secret leaked:\n  " + "\n  ".join(lines)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_FORMATTER = logging.Formatter()


def _record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a broken %-format is the emitting test's problem; scan its parts instead
        text = f"{record.msg!r} {record.args!r}"
    if record.exc_info:
        text += "\n" + _FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        text += "\n" + record.exc_text
    if record.stack_info:
        text += "\n" + record.stack_info
    return text


def _exception_texts(error: BaseException) -> Iterator[str]:
    yield str(error)
    yield repr(error)
    yield repr(error.args)
    outcome = getattr(error, "outcome", None)
    if outcome is not None and hasattr(outcome, "to_dict"):
        yield json.dumps(outcome.to_dict(), default=str)


class Audit:
    """One test's audit: what it collects, and the check at the end. The fixture's value."""

    def __init__(self, book: SecretBook, tmp_path: Path | None) -> None:
        self.book = book
        self.tmp_path = tmp_path
        self.started = time.time()
        self.collector = _Collector()
        self.errors: list[BaseException] = []
        self.objects: list[object] = []
        self.pardoned: set[str] = set()

    # What the instrumented classes call.
    def saw_error(self, error: BaseException) -> None:
        self.errors.append(error)

    def saw_object(self, instance: object) -> None:
        self.objects.append(instance)

    # Channels.
    def material(self) -> Iterator[tuple[str, str, str]]:
        for record in list(self.collector.records):
            yield LOG, f"logger {record.name!r} at {record.levelname}", _record_text(record)
        for path in self._log_files():
            yield LOG_FILE, str(path), path.read_text(errors="replace")
        for error in list(self.errors):
            for text in _exception_texts(error):
                yield EXCEPTION, type(error).__name__, text
        yield from self._database_material()
        for instance in list(self.objects):
            yield REPR, type(instance).__name__, _reprs(instance)

    def _log_files(self) -> Iterator[Path]:
        roots = {Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "logs"}
        if self.tmp_path is not None and self.tmp_path.exists():
            roots.update(path for path in self.tmp_path.rglob("*logs") if path.is_dir())
        for root in roots:
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                try:
                    if path.is_file() and path.stat().st_mtime >= self.started - CLOCK_SLACK_SECONDS:
                        yield path
                except OSError:  # removed while we looked
                    continue

    def _database_material(self) -> Iterator[tuple[str, str, str]]:
        """XComs and rendered fields written since the test started, if this test process uses Airflow."""
        import sys

        if "airflow.models.xcom" not in sys.modules:
            return
        from airflow.models.renderedtifields import RenderedTaskInstanceFields
        from airflow.models.taskinstance import TaskInstance
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import or_
        from sqlalchemy.exc import SQLAlchemyError

        # The same clock wrote these rows (in this process, or another on this host): no slack, so that the
        # rows of the test before, written a moment before this one started, are not this test's.
        since = datetime.fromtimestamp(self.started, tz=timezone.utc)
        try:
            with create_session() as session:
                for xcom in session.query(XComModel).filter(XComModel.timestamp >= since):
                    where = f"{xcom.dag_id}/{xcom.run_id}/{xcom.task_id}[{xcom.map_index}] key {xcom.key!r}"
                    yield XCOM, where, json.dumps(XComModel.deserialize_value(xcom), default=str)
                    yield XCOM, where, str(xcom.value)
                rows = (
                    session.query(RenderedTaskInstanceFields)
                    .join(
                        TaskInstance,
                        (TaskInstance.dag_id == RenderedTaskInstanceFields.dag_id)
                        & (TaskInstance.run_id == RenderedTaskInstanceFields.run_id)
                        & (TaskInstance.task_id == RenderedTaskInstanceFields.task_id)
                        & (TaskInstance.map_index == RenderedTaskInstanceFields.map_index),
                    )
                    .filter(or_(TaskInstance.start_date >= since, TaskInstance.updated_at >= since))
                )
                for row in rows:
                    where = f"{row.dag_id}/{row.run_id}/{row.task_id}[{row.map_index}]"
                    yield RENDERED, where, json.dumps(row.rendered_fields, default=str)
        except SQLAlchemyError:  # no metadata DB in this test process: nothing was written to one
            return

    # The check.
    def scan(self) -> list[Leak]:
        """Every leak so far (not pardoned); a test that plants leaks calls this, then pardon()."""
        return find_leaks(self.material(), self.book.known(), pardoned=frozenset(self.pardoned))

    def pardon(self, leaks: Iterable[Leak]) -> None:
        """These leaks were planted on purpose: the end-of-test check and the report check skip them."""
        self.pardoned.update(leak.value for leak in leaks)


def _reprs(instance: object) -> str:
    parts = [repr(instance)]
    for name in ("settings", "tokens", "client"):
        inner = instance.__dict__.get(name) if hasattr(instance, "__dict__") else None
        if inner is not None:
            parts.append(repr(inner))
            store = getattr(inner, "store", None)
            if store is not None:
                parts.append(repr(store))
    return "\n".join(parts)


# --- instrumentation: installed once per session, reporting to the current test's audit ---------------------

_BOOK = SecretBook()
_CURRENT: list[Audit] = []
_UNDO: list[Callable[[], None]] = []
_AUDIT_KEY = pytest.StashKey[Audit]()


def _current() -> Audit | None:
    return _CURRENT[-1] if _CURRENT else None


def _wrap(owner: type, name: str, hook: Callable[[Any], None], *, before: bool = False) -> None:
    """Call ``hook(self)`` after (or before) ``owner.name`` runs, for every instance of every subclass."""
    original = owner.__dict__.get(name)
    if original is None:
        raise RuntimeError(f"secrets audit: {owner.__name__}.{name} is gone; update tests/secrets_audit.py")

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if before:
            hook(self)
        result = original(self, *args, **kwargs)
        if not before:
            hook(self)
        return result

    setattr(owner, name, wrapper)
    _UNDO.append(lambda: setattr(owner, name, original))


def _sandbox_started(sandbox: Any) -> None:
    for client in sandbox.clients:
        credentials = sandbox.credentials(client)
        _BOOK.add(credentials["client_secret"], CLIENT_SECRET, session=True)
        _BOOK.add(credentials["refresh_token"], REFRESH_TOKEN, session=True)


def _settings_built(settings: Any) -> None:
    audit = _current()
    _BOOK.add(settings.client_secret, CLIENT_SECRET, session=audit is None)
    _BOOK.add(settings.refresh_token, REFRESH_TOKEN, session=audit is None)
    if audit is not None:
        audit.saw_object(settings)


def _error_built(error: Any) -> None:
    audit = _current()
    if audit is not None:
        audit.saw_error(error)


def _object_built(instance: Any) -> None:
    audit = _current()
    if audit is not None:
        audit.saw_object(instance)


EXEMPT_MARKER = "secrets_audit_exempt"


# Tests of other folders that put a secret where the audit looks on purpose, until they carry the marker.
def _exempt_channels(item: pytest.Item) -> frozenset[str] | None:
    """The channels this test may leak into (None: none); every channel when the marker names none."""
    marker = item.get_closest_marker(EXEMPT_MARKER)
    if marker is None:
        return None
    if not marker.kwargs.get("reason"):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{EXEMPT_MARKER} needs a reason=")
    channels = marker.kwargs.get("channels")
    return frozenset(channels) if channels else frozenset(ALL_CHANNELS)


def _unexempt(leaks: list[Leak], item: pytest.Item) -> list[Leak]:
    exempt = _exempt_channels(item) or frozenset()
    return [leak for leak in leaks if leak.channel not in exempt]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{EXEMPT_MARKER}(reason, channels=()): the secrets audit ignores these channels (all when none) "
        "for a test that must put a secret there",
    )
    from airflow_provider_bigin.client import BiginClient, ClientSettings
    from airflow_provider_bigin.errors import BiginError
    from airflow_provider_bigin.sandbox.harness import Sandbox

    _wrap(Sandbox, "start", _sandbox_started)
    _wrap(ClientSettings, "__post_init__", _settings_built, before=True)  # a refused one counts too
    _wrap(BiginError, "__init__", _error_built)
    _wrap(BiginClient, "__init__", _object_built)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _UNDO:
        _UNDO.pop()()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """Scan the test's report (failure text, captured output and logs); blank out and fail on a secret."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    audit = item.stash.get(_AUDIT_KEY, None)
    pardoned = frozenset(audit.pardoned) if audit is not None else frozenset()
    secrets = _BOOK.known()
    material = [(REPORT, f"{report.when} failure text", report.longreprtext)]
    material += [(REPORT, title, content) for title, content in report.sections]
    leaks = _unexempt(find_leaks(material, secrets, pardoned=pardoned), item)
    if not leaks:
        return
    report.sections = [(title, redact(content, secrets)) for title, content in report.sections]
    text = failure_text(leaks)
    if report.failed and report.longreprtext:
        text = redact(report.longreprtext, secrets) + "\n\n" + text
    report.outcome = "failed"
    report.longrepr = text


@pytest.fixture(autouse=True)
def secrets_audit(request: pytest.FixtureRequest) -> Iterator[Audit]:
    """Collect this test's logs, errors, XComs, rendered fields and reprs; fail it if a secret is in them."""
    tmp_path = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    audit = Audit(_BOOK, tmp_path)
    request.node.stash[_AUDIT_KEY] = audit
    root = logging.getLogger()
    quiet = [logging.getLogger(name) for name in QUIET_LOGGERS]
    quiet = [logger for logger in quiet if logger.level == logging.NOTSET]
    saved_level = root.level
    for logger in quiet:
        logger.setLevel(logging.INFO)
    root.setLevel(logging.DEBUG)
    root.addHandler(audit.collector)
    _BOOK.test = {}
    _CURRENT.append(audit)
    try:
        yield audit
    finally:
        _CURRENT.remove(audit)
        root.removeHandler(audit.collector)
        root.setLevel(saved_level)
        for logger in quiet:
            logger.setLevel(logging.NOTSET)
    # The test's own secrets stay known until the next test starts, for its teardown report.
    leaks = _unexempt(audit.scan(), request.node)
    if leaks:
        pytest.fail(failure_text(leaks), pytrace=False)
