"""One retry policy for every request: exponential backoff with jitter, Retry-After honoured, bounded twice.

Bounded in attempts and in total time, so that a Zoho outage fails a task in minutes rather than hanging it.
Re-sending is safe only because every request this provider retries is idempotent (see runner.py). Nothing is
retried silently: every retry is one WARNING line naming the call, the attempt, the cause and the wait.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from airflow_provider_bigin.errors import ApiError, BiginError, HostUnreachableError, TransientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures (5xx, 429, dropped connections, timeouts).

    :param max_attempts: attempts per request, the first one included.
    :param initial_wait: seconds before the first retry; doubles with each retry, up to `max_wait`.
    :param max_wait: the longest pause between two attempts, unless Retry-After asks for more.
    :param max_elapsed: no retry starts whose pause would end later than this many seconds after the
        first attempt.
    """

    max_attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_elapsed: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1.")
        if min(self.initial_wait, self.max_wait, self.max_elapsed) < 0:
            raise ValueError("initial_wait, max_wait and max_elapsed must not be negative.")

    def backoff(self, retry_number: int) -> float:
        """Seconds before retry number `retry_number` (1-based): half fixed, half random ("equal jitter")."""
        ceiling: float = min(self.max_wait, self.initial_wait * 2.0 ** (retry_number - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311  # jitter, not cryptography

    def retrying(
        self,
        *,
        retry_on: tuple[type[BaseException], ...] = (TransientError,),
        stop_event: threading.Event | None = None,
        label: str = "Zoho request",
        logger: logging.Logger | None = None,
    ) -> Retrying:
        """A tenacity Retrying that follows this policy; the last exception is re-raised when it gives up.

        :param stop_event: when set (the run is being stopped), no further attempt starts: a pause under
            way ends at once and RetryStopped is raised in place of the next attempt.
        :param label: names the call in the WARNING line logged before each retry (``batch 3/20``).
        :param logger: where that line goes; default this module's logger.
        """
        stop = stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_elapsed)
        sleep: Callable[[float], None] = time.sleep
        before: Callable[[RetryCallState], None] = _nothing_before
        if stop_event is not None:
            stop = stop | _StopWhenSet(stop_event)
            sleep = _SleepUntilSet(stop_event)
            before = _RefuseWhenSet(stop_event)
        return Retrying(
            sleep=sleep,
            before=before,
            stop=stop,
            wait=_WaitRetryAfterOrBackoff(self),
            retry=retry_if_exception_type(retry_on),
            before_sleep=_LogRetry(label, self.max_attempts, logger or log),
            reraise=True,
        )


_ZOHO_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def failure_reason(error: BaseException) -> str:
    """Why an attempt failed, in a few words: the HTTP status and Zoho code, or the exception and host.

    Built from typed fields: of what a server wrote only its Zoho code, and only when it looks like one
    (``RATE_LIMIT_EXCEEDED``), so that a log line carries no free text, line breaks or echo from a reply.
    """
    if isinstance(error, HostUnreachableError):
        return f"{type(error).__name__}: {error.host} could not be reached ({error.cause})"
    if isinstance(error, ApiError) and error.http_status is not None:
        code = error.code if error.code and _ZOHO_CODE.fullmatch(error.code) else None
        return " ".join(part for part in (f"HTTP {error.http_status}", code) if part)
    if isinstance(error, BiginError):
        return f"{type(error).__name__}: {error.message.rstrip('.')}"  # lines go on after it: "; retrying"
    return str(error) or type(error).__name__


class _LogRetry:
    """tenacity's before_sleep: one WARNING line per retry, so that a retry is never silent."""

    def __init__(self, label: str, max_attempts: int, logger: logging.Logger) -> None:
        self.label = label
        self.max_attempts = max_attempts
        self.logger = logger

    def __call__(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
        self.logger.warning(
            "%s: attempt %d/%d failed: %s; retrying in %.1f s.",
            self.label,
            retry_state.attempt_number,
            self.max_attempts,
            "no error" if error is None else failure_reason(error),
            wait,
        )


class RetryStopped(Exception):
    """The run was being stopped while a call waited to retry, so its next attempt did not start."""


def _nothing_before(retry_state: RetryCallState) -> None:
    """No check before an attempt: a Retrying without a stop event."""


class _RefuseWhenSet:
    """Before a retry: RetryStopped when the run is being stopped (the pause before it was cut short)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> None:
        if retry_state.attempt_number > 1 and self.event.is_set():
            raise RetryStopped


class _SleepUntilSet:
    """A pause between attempts that ends as soon as the run is being stopped."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, seconds: float) -> None:
        self.event.wait(seconds)


class _StopWhenSet(stop_base):
    """Stop retrying once the run is being stopped (another call failed for good)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


class _WaitRetryAfterOrBackoff(wait_base):
    """Zoho's Retry-After when the error carries one, else the policy's backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        hint = getattr(error, "retry_after_seconds", None)
        if isinstance(hint, (int, float)) and hint >= 0:
            return float(hint)
        return self.policy.backoff(retry_state.attempt_number)


def parse_retry_after(value: Any, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:  # "inf", "nan" and "1e400" are no wait a server can mean
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
