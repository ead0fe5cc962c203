"""Running a plan: bounded concurrency, retries, each id settled once, and the outcome assembled.

Retrying relies on idempotency: removing a tag a record no longer has, or adding one it already has, leaves
the record as the first successful call left it, so a call whose reply was lost can be sent again. A retry
re-sends only the ids that have no final result yet, and each id's result is recorded exactly once. Data
flows one way: a plan comes in, calls go out through the transport, replies are read by replies.py, and the
results are handed to assembly.py, which makes them one TagOutcome (or streams them to a sink).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_bigin.client.assembly import OutcomeAssembler
from airflow_provider_bigin.client.calls import tag_request
from airflow_provider_bigin.client.plan import PlannedBatch, TagPlan
from airflow_provider_bigin.client.replies import SharedValues, parse_record_results
from airflow_provider_bigin.client.results import (
    ERROR,
    MISSING_RESULT,
    RATE_LIMITED,
    SERVER_ERROR,
    TRANSPORT_ERROR,
    BatchReport,
    RecordResult,
    ResultSink,
    TagOutcome,
)
from airflow_provider_bigin.client.retrying import RetryPolicy
from airflow_provider_bigin.client.transport import Counters, Transport
from airflow_provider_bigin.errors import (
    BiginError,
    RateLimitedError,
    ServerError,
    TransientError,
    TransportError,
    UnexpectedResponseError,
)

log = logging.getLogger(__name__)

_BatchOutcome = tuple[dict[str, RecordResult], "BiginError | None"]


class _Unsettled(Exception):
    """Some ids of a call got no final result; raised to make tenacity send them again."""


@dataclass
class _BatchState:
    pending: list[str]
    settled: dict[str, RecordResult] = field(default_factory=dict)
    transient: dict[str, RecordResult] = field(default_factory=dict)
    attempts: int = 0
    # An earlier attempt lost its reply (dropped, timed out, 5xx): it may have applied the change.
    reply_lost: bool = False


def _failure_code(error: BaseException) -> str:
    if isinstance(error, RateLimitedError):
        return RATE_LIMITED
    if isinstance(error, TransportError):
        return TRANSPORT_ERROR
    if isinstance(error, ServerError):
        return SERVER_ERROR
    return MISSING_RESULT


class PlanRunner:
    """Sends a plan's calls over one transport, at most `concurrency` at a time, under one retry policy."""

    def __init__(self, transport: Transport, *, retry: RetryPolicy, concurrency: int) -> None:
        self._transport = transport
        self.retry = retry
        self.concurrency = concurrency

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
        sending ones.
        """
        counters = Counters()
        stop = threading.Event()
        assembler = OutcomeAssembler(plan, sink, keep_all=keep_all)
        failure: BaseException | None = None
        shared = SharedValues()
        if plan.batches:
            executor = ThreadPoolExecutor(
                max_workers=min(self.concurrency, len(plan.batches)), thread_name_prefix="bigin"
            )
            try:
                futures: dict[Future[_BatchOutcome], PlannedBatch] = {
                    executor.submit(self._send_batch, plan, batch, counters, stop, shared): batch
                    for batch in plan.batches
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
                            stop.set()
                            for other in pending:
                                other.cancel()
                        elif on_batch is not None:
                            _report(on_batch, batch, plan, results)
            finally:
                # On an error, or the task being killed, no new call starts; calls in flight finish.
                stop.set()
                executor.shutdown(wait=True, cancel_futures=True)
        outcome = assembler.outcome(counters.api_calls, counters.retries)
        failure = failure or assembler.sink_error
        if failure is not None:
            if isinstance(failure, BiginError):
                failure.outcome = outcome
            raise failure
        return outcome

    def _send_batch(
        self,
        plan: TagPlan,
        batch: PlannedBatch,
        counters: Counters,
        stop: threading.Event,
        shared: SharedValues,
    ) -> _BatchOutcome:
        """One planned call, retried for the ids still unsettled.

        Transient failures that outlast the retries become per-record data; a whole-request refusal (scope,
        permission, bad request, token) is returned beside the results so the run can stop and report it.
        """
        state = _BatchState(pending=list(batch.ids))

        def attempt() -> None:
            request = tag_request(plan.action, plan.module, state.pending, batch.tags)
            reply = self._transport.send(request, counters, retry=state.attempts > 0)
            state.attempts += 1
            try:
                parsed = parse_record_results(reply.payload, state.pending, shared)
            except UnexpectedResponseError as error:
                raise UnexpectedResponseError(
                    f"{error.message} ({plan.action} on {plan.module}, HTTP {reply.status})",
                    http_status=reply.status,
                ) from None
            for record_id, result in parsed.items():
                if result.transient:
                    state.transient[record_id] = result
                else:
                    state.settled[record_id] = result
                    state.transient.pop(record_id, None)
            state.pending = [record_id for record_id in state.pending if record_id not in state.settled]
            if state.pending:
                raise _Unsettled

        def counted_attempt() -> None:
            try:
                attempt()
            except TransientError as error:
                state.attempts += 1
                state.reply_lost = state.reply_lost or not isinstance(error, RateLimitedError)
                raise

        try:
            self.retry.retrying(retry_on=(TransientError, _Unsettled), stop_event=stop)(counted_attempt)
        except (TransientError, _Unsettled) as error:
            for record_id in state.pending:
                state.settled[record_id] = state.transient.get(record_id) or _gave_up(
                    record_id, error, state.attempts
                )
        except BiginError as refusal:
            for record_id in state.pending:
                state.settled[record_id] = _refused(record_id, refusal, may_have_applied=state.reply_lost)
            return state.settled, refusal
        return state.settled, None


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


def _refused(record_id: str, refusal: BiginError, *, may_have_applied: bool) -> RecordResult:
    """A record of a call refused as a whole; an earlier attempt whose reply was lost may have applied."""
    if may_have_applied:
        what = "an earlier attempt's reply was lost, so the change may or may not have applied"
        details: dict[str, Any] = {"id": record_id, "may_have_applied": True}
    else:
        what, details = "nothing changed", {"id": record_id}
    return RecordResult(
        id=record_id,
        status=ERROR,
        code=str(getattr(refusal, "code", None) or type(refusal).__name__),
        message=f"the call was refused as a whole, {what}: {refusal.message}",
        details=details,
    )


def _gave_up(record_id: str, error: BaseException, attempts: int) -> RecordResult:
    code = _failure_code(error)
    reason = error.message if isinstance(error, BiginError) else "the replies never mentioned this record"
    reason = reason.rstrip(".")
    return RecordResult(
        id=record_id,
        status=ERROR,
        code=code,
        message=(
            f"gave up after {attempts} attempts: {reason}; the change may or may not have applied, "
            "and running again is safe (tag changes are idempotent)"
        ),
        details={"id": record_id, "attempts": attempts, "may_have_applied": True},
    )
