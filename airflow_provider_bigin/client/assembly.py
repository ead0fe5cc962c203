"""How settled calls become one outcome: kept whole, or handed to a sink as they settle.

Without a sink every result is kept and the outcome lists one per id in input order. With one, each id
chunk's results go to the sink once every tag group of that chunk has settled, and only counts and the
failed results stay (unless asked to keep all): a million records then cost their counts. Ids whose calls
never ran reach the sink as NOT_ATTEMPTED when the run ends, so the sink always receives exactly one result
per id. If the sink itself fails, the results it could not take are kept instead, whatever their status,
and the failure is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_bigin.client.plan import PlannedBatch, TagPlan
from airflow_provider_bigin.client.plurals import noun_for
from airflow_provider_bigin.client.results import (
    DRY_RUN,
    ERROR,
    NOT_ATTEMPTED,
    SUCCESS,
    OutcomeSummary,
    RecordResult,
    ResultSink,
    TagOutcome,
    failed_by_code,
)
from airflow_provider_bigin.errors import ResultsSinkError

_NOT_SENT_MESSAGE = "not sent: the run stopped before this call; nothing was changed for these tags"


class OutcomeAssembler:
    """Collects each finished call's results for one run of `plan`; `outcome()` once the run is over."""

    def __init__(self, plan: TagPlan, sink: ResultSink | None = None, *, keep_all: bool = False) -> None:
        self._plan = plan
        self._sink = sink
        self._keep_all = keep_all or sink is None
        self._groups = len(plan.tag_groups)
        # Without a sink: every call's results by batch index. With one: the calls of chunks still waiting
        # for another tag group, by chunk then group.
        self._finished: dict[int, dict[str, RecordResult]] = {}
        self._waiting: dict[int, dict[int, dict[str, RecordResult]]] = {}
        self._kept: dict[int, list[RecordResult]] = {}  # with a sink: per chunk, what stays in the outcome
        self._emitted: set[int] = set()
        self.succeeded = 0
        self.failed = 0
        self.written = 0
        self.sink_error: ResultsSinkError | None = None

    def add(self, batch: PlannedBatch, results: dict[str, RecordResult]) -> None:
        """One call settled (`results` may miss ids: they count as not attempted)."""
        if self._sink is None:
            self._finished[batch.index] = results
            return
        groups = self._waiting.setdefault(batch.chunk, {})
        groups[batch.tag_group] = results
        if len(groups) == self._groups:
            del self._waiting[batch.chunk]
            self._emit(batch.chunk, self._chunk_results(batch.chunk, groups))

    def outcome(self, api_calls: int, retries: int) -> TagOutcome:
        """The run's outcome; with a sink, first hands it every chunk that has not reached it yet."""
        if self._sink is None:
            results = self._all_results()
            self.succeeded = sum(1 for result in results if result.ok)
            self.failed = len(results) - self.succeeded
        else:
            for chunk in sorted({batch.chunk for batch in self._plan.batches} - self._emitted):
                self._emit(chunk, self._chunk_results(chunk, self._waiting.pop(chunk, {})))
            results = tuple(result for chunk in sorted(self._kept) for result in self._kept[chunk])
        summary = OutcomeSummary(
            action=self._plan.action,
            module=self._plan.module,
            tags=self._plan.tags,
            requested=len(self._plan.ids),
            succeeded=self.succeeded,
            failed=self.failed,
            api_calls=api_calls,
            retries=retries,
            failed_by_code=failed_by_code(results),  # every failed result is kept, with a sink too
        )
        return TagOutcome(results=results, summary=summary, all_results=self._keep_all)

    # --- per id chunk: every tag group of the same ids, with a sink or without ---------------------------

    def _chunk_batches(self, chunk: int) -> list[PlannedBatch]:
        first = chunk * self._groups  # plan_batches lays out every chunk's groups side by side
        return list(self._plan.batches[first : first + self._groups])

    def _chunk_results(self, chunk: int, groups: Mapping[int, dict[str, RecordResult]]) -> list[RecordResult]:
        batches = self._chunk_batches(chunk)
        if len(batches) == 1:
            answered = groups.get(0) or {}
            tags = batches[0].tags
            return [answered.get(rid) or not_attempted(rid, tags) for rid in batches[0].ids]
        return [
            combine_group_results(rid, [(b.tags, (groups.get(b.tag_group) or {}).get(rid)) for b in batches])
            for rid in batches[0].ids
        ]

    def _emit(self, chunk: int, results: list[RecordResult]) -> None:
        self._emitted.add(chunk)
        ok = sum(1 for result in results if result.ok)
        self.succeeded += ok
        self.failed += len(results) - ok
        if self.sink_error is None:
            assert self._sink is not None
            try:
                self._sink(results)
            except Exception as error:  # any failure of the caller's sink is reported as one
                self.sink_error = ResultsSinkError(
                    f"Writing the results failed after {self.written} of {len(self._plan.ids)} "
                    f"{noun_for(len(self._plan.ids), 'record')} {'was' if self.written == 1 else 'were'} "
                    f"written ({type(error).__name__}: {error}); the run stopped starting calls, and the "
                    "results not written are kept in the outcome instead. Check the results destination; "
                    "running again is safe (tag changes are idempotent)."
                )
            else:
                self.written += len(results)
                kept = results if self._keep_all else [result for result in results if not result.ok]
                if kept:
                    self._kept[chunk] = kept
                return
        self._kept[chunk] = results

    def _all_results(self) -> tuple[RecordResult, ...]:
        """One result per id, in input order, chunk by chunk; `_finished` is emptied on the way."""
        finished, collected = self._finished, []
        for chunk in range(len(self._plan.batches) // self._groups if self._groups else 0):
            groups = {
                batch.tag_group: finished.pop(batch.index)
                for batch in self._chunk_batches(chunk)
                if batch.index in finished
            }
            collected.extend(self._chunk_results(chunk, groups))
        return tuple(collected)


def not_attempted(record_id: str, tags: Sequence[str]) -> RecordResult:
    """Details {"id", "tags"}; the tags kept as the call's own tuple, shared by all its records."""
    return RecordResult._compact(record_id, ERROR, NOT_ATTEMPTED, _NOT_SENT_MESSAGE, tuple(tags))


def combine_group_results(
    record_id: str, per_group: Sequence[tuple[tuple[str, ...], RecordResult | None]]
) -> RecordResult:
    """One record's result from its result in each tag group (None: the group's call was never sent).

    With one group the result is Bigin's own. With several, the record succeeded only if every group did;
    otherwise it carries the first failure's code and message, and `details.failed_tags` lists the tags of
    the groups that failed, so that a re-run can send exactly those.
    """
    resolved = [(tags, result or not_attempted(record_id, tags)) for tags, result in per_group]
    if len(resolved) == 1:
        return resolved[0][1]
    failed = [(tags, result) for tags, result in resolved if not result.ok]
    groups = [
        {"tags": list(tags), "status": result.status, "code": result.code, "message": result.message}
        for tags, result in resolved
    ]
    if not failed:
        first = resolved[0][1]
        return RecordResult(
            id=record_id,
            status=SUCCESS,
            code=first.code,
            message=first.message,
            details={"id": record_id, "tag_groups": groups},
        )
    first_failure = failed[0][1]
    details: Mapping[str, Any] = {
        **first_failure.details,
        "id": record_id,
        "failed_tags": [tag for tags, _ in failed for tag in tags],
        "tag_groups": groups,
    }
    return RecordResult(
        id=record_id,
        status=ERROR,
        code=first_failure.code,
        message=first_failure.message,
        details=dict(details),
    )


def dry_run_outcome(plan: TagPlan) -> TagOutcome:
    """The outcome of a dry run: every record planned (code DRY_RUN), none sent, none counted."""
    results = tuple(
        RecordResult(
            id=record_id,
            status="skipped",
            code=DRY_RUN,
            message=f"dry run: {plan.action} was not sent",
            details={"id": record_id},
        )
        for record_id in plan.ids
    )
    summary = OutcomeSummary(
        action=plan.action,
        module=plan.module,
        tags=plan.tags,
        requested=len(plan.ids),
        succeeded=0,
        failed=0,
        api_calls=0,
        retries=0,
        dry_run=True,
    )
    return TagOutcome(results=results, summary=summary)
