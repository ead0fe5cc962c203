"""How a run is cut into calls: at most 500 ids and 10 tags each, planned before anything is sent.

A plan is pure data, so that a dry run can show exactly the calls a real run would make. With more than 10
tags the tags are split into groups and every id chunk is sent once per group; a record then succeeds only if
every group succeeded for it (see `combine_group_results`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.inputs import normalise_record_ids, normalise_tag_names, resolve_module
from airflow_provider_bigin.results import (
    DRY_RUN,
    ERROR,
    NOT_ATTEMPTED,
    SUCCESS,
    OutcomeSummary,
    RecordResult,
    TagOutcome,
)

# https://www.zoho.com/bigin/developer/docs/apis/api-limits.html: "Add/Remove Tags to Multiple records ...
# maximum of 500 records"
MAX_IDS_PER_CALL = 500
# No Bigin limit is published; Zoho's SDKs refuse more than 10 tags per call (reference/bigin-api.md, 1).
MAX_TAGS_PER_CALL = 10
ACTIONS = ("remove_tags", "add_tags")


@dataclass(frozen=True)
class PlannedBatch:
    """One call: its 1-based index in the plan, the ids and the tags it carries."""

    index: int
    ids: tuple[str, ...]
    tags: tuple[str, ...]
    tag_group: int

    @property
    def single(self) -> bool:
        """True when the call goes to the single-record endpoint."""
        return len(self.ids) == 1


@dataclass(frozen=True)
class TagPlan:
    """A validated, normalised run: what would be sent, without sending anything."""

    action: str
    module: str
    ids: tuple[str, ...]
    tags: tuple[str, ...]
    batches: tuple[PlannedBatch, ...]

    @property
    def calls(self) -> int:
        return len(self.batches)

    @property
    def tag_groups(self) -> tuple[tuple[str, ...], ...]:
        return tuple(dict.fromkeys(batch.tags for batch in self.batches))

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "module": self.module,
            "records": len(self.ids),
            "tags": list(self.tags),
            "calls": self.calls,
            "tag_groups": len(self.tag_groups),
        }

    def dry_run_outcome(self) -> TagOutcome:
        """The outcome of a dry run: every record planned (code DRY_RUN), none sent, none counted."""
        results = tuple(
            RecordResult(
                id=record_id,
                status="skipped",
                code=DRY_RUN,
                message=f"dry run: {self.action} was not sent",
                details={"id": record_id},
            )
            for record_id in self.ids
        )
        summary = OutcomeSummary(
            action=self.action,
            module=self.module,
            tags=self.tags,
            requested=len(self.ids),
            succeeded=0,
            failed=0,
            api_calls=0,
            retries=0,
            dry_run=True,
        )
        return TagOutcome(results=results, summary=summary)


def _check_limit(name: str, value: int, ceiling: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
        raise InvalidInputError(f"{name} must be a whole number from 1 to {ceiling}, not {value!r}.")
    return value


def plan_batches(
    ids: Sequence[str], tags: Sequence[str], *, max_ids_per_call: int, max_tags_per_call: int
) -> tuple[PlannedBatch, ...]:
    """Every (id chunk, tag group) pair, id chunks first, so that progress reads in input order."""
    _check_limit("max_ids_per_call", max_ids_per_call, MAX_IDS_PER_CALL)
    _check_limit("max_tags_per_call", max_tags_per_call, MAX_TAGS_PER_CALL)
    tag_groups = [tuple(tags[i : i + max_tags_per_call]) for i in range(0, len(tags), max_tags_per_call)]
    batches: list[PlannedBatch] = []
    for start in range(0, len(ids), max_ids_per_call):
        chunk = tuple(ids[start : start + max_ids_per_call])
        for group_index, group in enumerate(tag_groups):
            batches.append(PlannedBatch(index=len(batches) + 1, ids=chunk, tags=group, tag_group=group_index))
    return tuple(batches)


def build_plan(
    action: str,
    module: Any,
    record_ids: Any,
    tag_names: Any,
    *,
    max_ids_per_call: int = MAX_IDS_PER_CALL,
    max_tags_per_call: int = MAX_TAGS_PER_CALL,
) -> TagPlan:
    """Validate and normalise everything a run needs; raises InvalidInputError before any request."""
    if action not in ACTIONS:
        raise InvalidInputError(f"action {action!r} is not one of {', '.join(ACTIONS)}.")
    api_module = resolve_module(module)
    ids = normalise_record_ids(record_ids)
    tags = normalise_tag_names(tag_names)
    batches = plan_batches(ids, tags, max_ids_per_call=max_ids_per_call, max_tags_per_call=max_tags_per_call)
    return TagPlan(action=action, module=api_module, ids=tuple(ids), tags=tuple(tags), batches=batches)


_NOT_SENT_MESSAGE = "not sent: the run stopped before this call; nothing was changed for these tags"


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
