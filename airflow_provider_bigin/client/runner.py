"""Running a plan: bounded concurrency, retries, each id settled once, and the outcome assembled.

Retrying relies on idempotency: removing a tag a record no longer has, or adding one it already has, leaves
the record as the first successful call left it, so a call whose reply was lost can be sent again. A retry
re-sends only the ids that have no final result yet, and each id's result is recorded exactly once. Data
flows one way: a plan comes in, calls go out through the transport, replies are read by replies.py, and the
results are handed to assembly.py, which makes them one TagOutcome (or streams them to a sink).

Failing fast and loud: every retry is a WARNING line (retrying.py). A host that cannot be reached (or no
access token at all) stops the run once that call's retries are spent: no further call starts, the ids never
sent are NOT_ATTEMPTED, and the error names the host and the cause. `may_have_applied` marks a record only
when an attempt may have reached Bigin and lost its reply (a timeout, a reset, a 5xx); a refused connection
or a missing token never sent anything.

Calls in flight follow what Bigin's 429s say the org has room for (concurrency.py): at most `concurrency`,
halved on a 429, raised again by successes; the limit is the client's, so a second run starts where the first
ended.

Zoho's variations, learnt once per run and followed by every later call: a call refused for its URL length
(HTTP 414, or a 400 naming the URL) is split in two and the run's calls take the smaller size; an Add Tags
JSON body that Bigin answers as if `tag_names` or `ids` were missing is re-sent once in the query parameters
of Bigin's v1 Add Tags, and that form is kept (calls.py, docs/zoho-facts.md, section 8).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_bigin.client.assembly import OutcomeAssembler
from airflow_provider_bigin.client.calls import ADD_TAGS_JSON, ADD_TAGS_QUERY, ApiRequest, tag_request
from airflow_provider_bigin.client.concurrency import AdaptiveLimit
from airflow_provider_bigin.client.plan import PlannedBatch, TagPlan, id_chunks
from airflow_provider_bigin.client.plurals import count_noun, noun_for
from airflow_provider_bigin.client.replies import ApiReply, SharedValues, parse_record_results
from airflow_provider_bigin.client.results import (
    ERROR,
    MISSING_RESULT,
    NOT_ATTEMPTED,
    RATE_LIMITED,
    SERVER_ERROR,
    TRANSPORT_ERROR,
    BatchReport,
    RecordResult,
    ResultSink,
    TagOutcome,
)
from airflow_provider_bigin.client.retrying import RetryPolicy, RetryStopped, failure_reason
from airflow_provider_bigin.client.transport import Counters, Transport
from airflow_provider_bigin.errors import (
    ApiError,
    BiginError,
    HostUnreachableError,
    RateLimitedError,
    ServerError,
    TransientError,
    TransportError,
    UnexpectedResponseError,
)

log = logging.getLogger(__name__)

_BatchOutcome = tuple[dict[str, RecordResult], "BiginError | None"]

# HTTP 414 URI Too Long (RFC 9110, section 15.5.15); some servers say it with a 400 naming the URL.
URI_TOO_LONG = 414
_NAMES_LONG_URL = re.compile(r"\b(?:ur[il]|request line)\b.{0,40}?\b(?:long|large|length)", re.I)
# Codes of a whole-request error saying that a required parameter is missing, as Zoho's APIs name it
# (unconfirmed for Bigin, whose pages list no such code; docs/zoho-facts.md, section 8).
MISSING_PARAM_CODES = frozenset({"REQUIRED_PARAM_MISSING", "MANDATORY_NOT_FOUND"})
_NAMES_TAG_PARAMS = re.compile(r"\b(?:tag_names|ids)\b.{0,60}?\b(?:missing|required|mandatory)", re.I)

# What became of one call: done (settled or stopped), split for its URL length, or to re-send in v1's form.
_DONE, _SPLIT, _REQUERY = "done", "split", "requery"


class _Unsettled(Exception):
    """Some ids of a call got no final result; raised to make tenacity send them again."""

    def __init__(self, left: int, sent: int) -> None:
        super().__init__(f"the reply left {left} of {sent} {noun_for(sent, 'id')} without a final result")


class _NoToken(Exception):
    """No access token could be had, so nothing was sent; `error` is the token source's."""

    def __init__(self, error: BiginError) -> None:
        super().__init__(error.message)
        self.error = error


def may_have_reached_bigin(error: BaseException) -> bool:
    """True when the attempt was sent and its reply lost (a timeout, a reset, a 5xx): it may have applied.

    A refused connection (HostUnreachableError), a 429 and a missing token never changed anything.
    """
    if isinstance(error, HostUnreachableError):
        return False
    return isinstance(error, (TransportError, ServerError))


def refused_for_url_length(error: BiginError) -> bool:
    """HTTP 414, or a 400 whose text names the URL (or URI) as too long."""
    status = getattr(error, "http_status", None)
    return status == URI_TOO_LONG or (status == 400 and bool(_NAMES_LONG_URL.search(error.message)))


def asks_for_query_parameters(error: BiginError) -> bool:
    """A whole-request refusal saying `tag_names` or `ids` are missing, as if the JSON body went unread."""
    if not isinstance(error, ApiError) or isinstance(error, TransientError):
        return False
    return error.code in MISSING_PARAM_CODES or bool(_NAMES_TAG_PARAMS.search(error.message))


@dataclass
class _Run:
    """What every call of one run shares, and what it learns for the calls after it."""

    plan: TagPlan
    counters: Counters
    stop: threading.Event
    shared: SharedValues
    ids_per_call: int
    add_tags_form: str = ADD_TAGS_JSON
    token_error: BiginError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    token_lock: threading.Lock = field(default_factory=threading.Lock)

    def lower_ids_per_call(self, refused: int) -> int | None:
        """Halve the ids per call below a refused call's count; the new size, or None if already below."""
        half = max(1, (refused + 1) // 2)
        with self.lock:
            if half >= self.ids_per_call:
                return None
            self.ids_per_call = half
            return half

    def use_query_parameters(self) -> bool:
        """Switch Add Tags to v1's query form; True for the call that switched it."""
        with self.lock:
            if self.add_tags_form == ADD_TAGS_QUERY:
                return False
            self.add_tags_form = ADD_TAGS_QUERY
            return True


@dataclass
class _Call:
    """One HTTP call of a batch: the whole batch, or a part of it once a split made calls smaller."""

    label: str
    pending: list[str]
    reply_lost: bool = False  # an attempt lost its reply after sending: it may have applied the change
    settled: dict[str, RecordResult] = field(default_factory=dict)
    transient: dict[str, RecordResult] = field(default_factory=dict)
    attempts: int = 0
    last_error: BaseException | None = None
    form: str = ADD_TAGS_JSON  # the Add Tags form its last attempt used
    started: float = field(default_factory=time.monotonic)


def _failure_code(error: BaseException) -> str:
    if isinstance(error, RateLimitedError):
        return RATE_LIMITED
    if isinstance(error, TransportError):
        return TRANSPORT_ERROR
    if isinstance(error, ServerError):
        return SERVER_ERROR
    return MISSING_RESULT


class PlanRunner:
    """Sends a plan's calls over one transport, at most `concurrency` at a time, under one retry policy.

    :param get_token: makes sure an access token is at hand before a call is sent (the client passes its
        token source's `get`), so that a failing grant is told apart from a failing call: nothing was sent.
    :param adaptive: follow Bigin's 429s below `concurrency` (concurrency.py); False keeps it fixed.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        retry: RetryPolicy,
        concurrency: int,
        get_token: Callable[[], object] | None = None,
        adaptive: bool = True,
    ) -> None:
        self._transport = transport
        self.retry = retry
        self._get_token = get_token
        self.limit = AdaptiveLimit(concurrency, adaptive=adaptive)

    def run(
        self,
        plan: TagPlan,
        *,
        on_batch: Callable[[BatchReport], None] | None = None,
        sink: ResultSink | None = None,
        keep_all: bool = False,
    ) -> TagOutcome:
        """Send a plan's calls concurrently; a whole-request error stops the run and carries `.outcome`.

        With a `sink`, every result goes to it as its call settles, and the outcome keeps only the failed
        ones unless `keep_all` (see assembly.py). The sink is called from this thread, never from the
        sending ones. A dead host or a missing token stops the run too (see the module docstring).
        """
        run = _Run(
            plan=plan,
            counters=Counters(),
            stop=threading.Event(),
            shared=SharedValues(),
            ids_per_call=max((batch.size for batch in plan.batches), default=1),
        )
        assembler = OutcomeAssembler(plan, sink, keep_all=keep_all)
        failure: BaseException | None = None
        if plan.batches:
            try:
                self._ensure_token(run)  # one grant for the run, before any call: none per batch
            except _NoToken as no_token:
                failure = no_token.error
            else:
                failure = self._send_all(run, assembler, on_batch)
        outcome = assembler.outcome(run.counters.api_calls, run.counters.retries)
        failure = failure or assembler.sink_error
        if failure is not None:
            error = _run_error(failure, outcome, plan)
            if isinstance(error, BiginError):
                error.outcome = outcome
            if error is failure:
                raise error
            raise error from failure
        return outcome

    def _send_all(
        self, run: _Run, assembler: OutcomeAssembler, on_batch: Callable[[BatchReport], None] | None
    ) -> BaseException | None:
        plan, failure = run.plan, None
        executor = ThreadPoolExecutor(
            max_workers=min(self.limit.maximum, len(plan.batches)), thread_name_prefix="bigin"
        )
        try:
            futures: dict[Future[_BatchOutcome], PlannedBatch] = {
                executor.submit(self._send_batch, run, batch): batch for batch in plan.batches
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.cancelled():
                        continue
                    batch = futures.pop(future)
                    error = future.exception()  # a bug rather than Bigin: still report what was done
                    results, refusal = future.result() if error is None else ({}, None)
                    assembler.add(batch, results)
                    stopped_by: BaseException | None = refusal or error or assembler.sink_error
                    if stopped_by is not None:
                        failure = failure or stopped_by
                        run.stop.set()
                        for other in pending:
                            other.cancel()
                    elif on_batch is not None:
                        _report(on_batch, batch, plan, results)
        finally:
            # On an error, or the task being killed, no new call starts; calls in flight finish.
            run.stop.set()
            executor.shutdown(wait=True, cancel_futures=True)
        return failure

    def _ensure_token(self, run: _Run) -> None:
        """A token at hand, or _NoToken; once a grant failed, no other call of the run asks again."""
        if self._get_token is None:
            return
        with run.token_lock:  # calls wait for one grant rather than each spend the grant's retries
            if run.token_error is not None:
                raise _NoToken(run.token_error)
            try:
                self._get_token()
            except BiginError as error:
                run.token_error = error
                raise _NoToken(error) from None

    def _send_batch(self, run: _Run, batch: PlannedBatch) -> _BatchOutcome:
        """One planned call, in parts once a split made calls smaller; ids never sent are left out."""
        plan, results = run.plan, {}
        queue: deque[tuple[tuple[str, ...], bool]] = deque(
            (ids, False) for ids in id_chunks(batch.ids, run.ids_per_call)
        )
        parts = 0
        while queue and not run.stop.is_set():
            ids, reply_lost = queue.popleft()
            if len(ids) > (limit := run.ids_per_call):
                queue.extendleft(reversed([(piece, reply_lost) for piece in id_chunks(ids, limit)]))
                continue
            parts += 1
            label = f"batch {batch.index}/{plan.calls}" + (f", part {parts}" if parts > 1 or queue else "")
            call = _Call(label, list(ids), reply_lost=reply_lost)
            verdict, stopper = self._send_call(run, batch, call)
            results.update(call.settled)
            if stopper is not None:
                run.stop.set()  # here, not only when the main thread hears of it: no queued call may start
                results.update(_never_resent(queue))
                return results, stopper
            if verdict == _SPLIT:
                pieces = id_chunks(call.pending, run.ids_per_call)
                queue.extendleft(reversed([(piece, call.reply_lost) for piece in pieces]))
            elif verdict == _REQUERY:
                queue.appendleft((tuple(call.pending), call.reply_lost))
        results.update(_never_resent(queue))
        return results, None

    def _send_call(self, run: _Run, batch: PlannedBatch, call: _Call) -> tuple[str, BiginError | None]:
        """One call, retried for the ids still unsettled; what became of it, and the error that stops the run.

        Transient failures that outlast the retries become per-record data, and the run goes on, unless the
        host could not be reached at all; a whole-request refusal (scope, permission, bad request, token)
        stops the run, except the two variations the run adapts to.
        """
        plan = run.plan

        def attempt() -> None:
            call.form = run.add_tags_form
            request = tag_request(plan.action, plan.module, call.pending, batch.tags, add_tags_form=call.form)
            try:
                reply = self._send_within_limit(run, request, retry=call.attempts > 0)
            except TransientError as error:
                call.attempts += 1
                call.last_error = error
                call.reply_lost = call.reply_lost or may_have_reached_bigin(error)
                raise
            except BiginError:
                call.attempts += 1
                raise
            call.attempts += 1
            try:
                parsed = parse_record_results(reply.payload, call.pending, run.shared)
            except UnexpectedResponseError as error:
                raise UnexpectedResponseError(
                    f"{error.message} ({plan.action} on {plan.module}, HTTP {reply.status})",
                    http_status=reply.status,
                ) from None
            for record_id, result in parsed.items():
                if result.transient:
                    call.transient[record_id] = result
                else:
                    call.settled[record_id] = result
                    call.transient.pop(record_id, None)
            sent = len(call.pending)
            call.pending = [record_id for record_id in call.pending if record_id not in call.settled]
            if call.pending:
                call.last_error = _Unsettled(len(call.pending), sent)
                raise call.last_error

        retrying = self.retry.retrying(
            retry_on=(TransientError, _Unsettled), stop_event=run.stop, label=call.label, logger=log
        )
        try:
            retrying(attempt)
        except _NoToken as no_token:
            if call.reply_lost:  # sent before, reply lost: say so; else the ids stay NOT_ATTEMPTED
                for record_id in call.pending:
                    call.settled[record_id] = _refused(record_id, no_token.error, may_have_applied=True)
            return _DONE, no_token.error
        except (TransientError, _Unsettled, RetryStopped) as error:
            if call.attempts == 0:  # stopped while it waited for room under the limit: nothing was sent
                call.settled.update(_never_resent([(tuple(call.pending), call.reply_lost)]))
                return _DONE, None
            last = error if call.last_error is None else call.last_error
            for record_id in call.pending:
                call.settled[record_id] = call.transient.get(record_id) or _gave_up(
                    record_id, last, call.attempts, may_have_applied=call.reply_lost
                )
            return _DONE, self._gave_up_on(run, call, last)
        except BiginError as refusal:
            verdict = self._adapt(run, call, refusal)
            if verdict is not None:
                return verdict, None
            unread = _reply_unread(refusal)
            for record_id in call.pending:
                call.settled[record_id] = _refused(
                    record_id, refusal, may_have_applied=call.reply_lost or unread, unread=unread
                )
            return _DONE, refusal
        return _DONE, None

    def _send_within_limit(self, run: _Run, request: ApiRequest, *, retry: bool) -> ApiReply:
        """Send once there is room under the limit; tell the limit whether Bigin had room for the call."""
        slot = self.limit.acquire(run.stop)
        if slot is None:
            raise RetryStopped
        try:
            self._ensure_token(run)  # after the wait for room: a token can expire while a call waits
        except BaseException:
            self.limit.released(slot)
            raise
        slot = self.limit.restarted(slot)  # a grant it waited for is no round trip to Bigin
        try:
            reply = self._transport.send(request, run.counters, retry=retry)
        except RateLimitedError as error:
            self.limit.rate_limited_call(
                slot, retry_after=error.retry_after_seconds, reason=failure_reason(error)
            )
            raise
        except BaseException:
            self.limit.released(slot)
            raise
        self.limit.succeeded(slot)
        return reply

    @staticmethod
    def _adapt(run: _Run, call: _Call, refusal: BiginError) -> str | None:
        """_SPLIT or _REQUERY when the refusal is a variation the run adapts to (one log line), else None."""
        if refused_for_url_length(refusal) and len(call.pending) > 1:
            smaller = run.lower_ids_per_call(len(call.pending))
            if smaller is not None:
                log.warning(
                    "%s: Bigin refused a call of %d ids for its URL length (%s); splitting it, and the run "
                    "sends at most %s per call from now on.",
                    call.label,
                    len(call.pending),
                    failure_reason(refusal),
                    count_noun(smaller, "id"),
                )
            return _SPLIT
        if (
            run.plan.action == "add_tags"
            and call.form == ADD_TAGS_JSON
            and asks_for_query_parameters(refusal)
        ):
            if run.use_query_parameters():
                log.warning(
                    "%s: Bigin answered Add Tags' JSON body as if tag_names or ids were missing (%s); "
                    "re-sending it, and every later call of the run, with the query parameters of Bigin's "
                    "v1 Add Tags.",
                    call.label,
                    failure_reason(refusal),
                )
            return _REQUERY
        return None

    @staticmethod
    def _gave_up_on(run: _Run, call: _Call, last: BaseException) -> BiginError | None:
        """Log why a call gave up; a host that could not be reached is returned, to stop the run."""
        took = time.monotonic() - call.started
        how = _what_changed(last, may_have_applied=call.reply_lost)
        if isinstance(last, HostUnreachableError):
            log.error(
                "%s: %s could not be reached (%s) after %s in %.1f s; %s. The run starts no further calls.",
                call.label,
                last.host,
                last.cause,
                count_noun(call.attempts, "attempt"),
                took,
                how,
            )
            return last
        if not run.stop.is_set():
            log.warning(
                "%s: gave up after %s in %.1f s: %s; its %s %s (%s).",
                call.label,
                count_noun(call.attempts, "attempt"),
                took,
                failure_reason(last),
                count_noun(len(call.pending), "unsettled record"),
                ("is " if len(call.pending) == 1 else "are ") + _failure_code(last),
                how,
            )
        return None


def _run_error(failure: BaseException, outcome: TagOutcome, plan: TagPlan) -> BaseException:
    """The error the run raises: a dead host's names what the run did and did not send."""
    if not isinstance(failure, HostUnreachableError):
        return failure
    not_sent = sum(1 for result in outcome.results if result.code == NOT_ATTEMPTED)
    return HostUnreachableError(
        f"{failure.message.rstrip('.')}. The {plan.action} run on {plan.module} stopped there after "
        f"{count_noun(outcome.summary.api_calls, 'API call')}: {not_sent:,} of "
        f"{count_noun(len(plan.ids), 'record', thousands=True)} {'was' if not_sent == 1 else 'were'} "
        "not sent (NOT_ATTEMPTED); every record's outcome is in the error's outcome (the operator's "
        "XComs). The host may come back: retrying the task is safe, tag changes are idempotent.",
        host=failure.host,
        cause=failure.cause,
    )


def _report(
    on_batch: Callable[[BatchReport], None],
    batch: PlannedBatch,
    plan: TagPlan,
    results: dict[str, RecordResult],
) -> None:
    """Tell the caller a call finished; a failing callback is logged, never allowed to stop the run."""
    ok = sum(1 for result in results.values() if result.ok)
    try:
        on_batch(BatchReport(batch.index, plan.calls, len(batch.ids), ok, len(batch.ids) - ok))
    except Exception:
        log.exception(
            "The on_batch callback failed for call %d of %d; the run goes on.", batch.index, plan.calls
        )


def _reply_unread(error: BiginError) -> bool:
    """Bigin took the request and answered, but the answer could not be read (not JSON, past the cap)."""
    return isinstance(error, UnexpectedResponseError) and (
        error.http_status is None or error.http_status < 400
    )


def _refused(
    record_id: str, refusal: BiginError, *, may_have_applied: bool, unread: bool = False
) -> RecordResult:
    """A record of a call refused as a whole, or whose reply could not be read: then it may have applied."""
    if unread:
        what = "Bigin answered but its reply could not be read, so the change may or may not have applied"
    elif may_have_applied:
        what = (
            "the call was refused as a whole, an earlier attempt's reply was lost, so the change may or may "
            "not have applied"
        )
    else:
        what = "the call was refused as a whole, nothing changed"
    details: dict[str, Any] = {"id": record_id}
    if may_have_applied:
        details["may_have_applied"] = True
    return RecordResult(
        id=record_id,
        status=ERROR,
        code=str(getattr(refusal, "code", None) or type(refusal).__name__),
        message=f"{what}: {refusal.message}",
        details=details,
    )


def _never_resent(queue: Iterable[tuple[tuple[str, ...], bool]]) -> dict[str, RecordResult]:
    """Ids left queued when the run stopped: those an earlier attempt sent may have applied; others are
    left out, so that the outcome marks them NOT_ATTEMPTED."""
    message = (
        "not sent again: the run stopped first; an earlier attempt's reply was lost, so the change may or "
        "may not have applied"
    )
    return {
        record_id: RecordResult(
            id=record_id,
            status=ERROR,
            code=NOT_ATTEMPTED,
            message=message,
            details={"id": record_id, "may_have_applied": True},
        )
        for ids, reply_lost in queue
        if reply_lost
        for record_id in ids
    }


def _what_changed(error: BaseException, *, may_have_applied: bool) -> str:
    """What a call that gave up did to its records, for its log line and each record's message."""
    if may_have_applied:
        return "the change may or may not have applied"
    if isinstance(error, HostUnreachableError):
        return "nothing was sent, so nothing changed"
    return "no attempt can have applied the change"


def _gave_up(record_id: str, error: BaseException, attempts: int, *, may_have_applied: bool) -> RecordResult:
    code = _failure_code(error)
    reason = error.message if isinstance(error, BiginError) else "the replies never mentioned this record"
    reason = reason.rstrip(".")
    what = _what_changed(error, may_have_applied=may_have_applied)
    return RecordResult(
        id=record_id,
        status=ERROR,
        code=code,
        message=(
            f"gave up after {count_noun(attempts, 'attempt')}: {reason}; {what}, "
            "and running again is safe (tag changes are idempotent)"
        ),
        details={"id": record_id, "attempts": attempts, "may_have_applied": may_have_applied},
    )
