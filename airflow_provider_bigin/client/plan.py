"""TagPlan: a run cut into calls of at most 500 ids and 10 tags, built once, before anything is sent.

A plan is pure data, so that a dry run can show exactly the calls a real run would make, and a caller can
check its counts (max_records) before asking for a client. With more than 10 tags the tags are split into
groups and every id chunk is sent once per group; a record then succeeds only if every group succeeded for it
(assembly.py's `combine_group_results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_bigin.client.counts import whole_number
from airflow_provider_bigin.client.inputs import normalise_record_ids, normalise_tag_names, resolve_module
from airflow_provider_bigin.errors import InvalidInputError

# https://www.zoho.com/bigin/developer/docs/apis/api-limits.html: "Add/Remove Tags to Multiple records ...
# maximum of 500 records" (docs/zoho-facts.md, section 1)
MAX_IDS_PER_CALL = 500
# No Bigin limit is published; Zoho's SDKs refuse more than 10 tags per call (docs/zoho-facts.md, section 1).
MAX_TAGS_PER_CALL = 10
ACTIONS = ("remove_tags", "add_tags")


@dataclass(frozen=True)
class PlannedBatch:
    """One call: its 1-based index in the plan, its id chunk (0-based) and tag group, the ids and tags.

    The ids are a slice of the plan's own tuple, taken when asked for: a million ids are then held once, not
    once more in 2,000 chunks.
    """

    index: int
    tags: tuple[str, ...]
    tag_group: int
    chunk: int
    start: int
    stop: int
    source: tuple[str, ...] = field(repr=False, compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return self.source[self.start : self.stop]

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def single(self) -> bool:
        """True when the call goes to the single-record endpoint."""
        return self.size == 1


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


def _check_limit(name: str, value: int, ceiling: int) -> int:
    count = whole_number(value)
    if count is None or not 1 <= count <= ceiling:
        raise InvalidInputError(f"{name} must be a whole number from 1 to {ceiling}, not {value!r}.")
    return count


def check_call_limits(max_ids_per_call: int, max_tags_per_call: int) -> None:
    """Refuse limits above Bigin's (500 ids) and Zoho's SDKs' (10 tags), or below one."""
    _check_limit("max_ids_per_call", max_ids_per_call, MAX_IDS_PER_CALL)
    _check_limit("max_tags_per_call", max_tags_per_call, MAX_TAGS_PER_CALL)


def plan_batches(
    ids: Sequence[str], tags: Sequence[str], *, max_ids_per_call: int, max_tags_per_call: int
) -> tuple[PlannedBatch, ...]:
    """Every (id chunk, tag group) pair, id chunks first, so that progress reads in input order."""
    check_call_limits(max_ids_per_call, max_tags_per_call)
    tag_groups = [tuple(tags[i : i + max_tags_per_call]) for i in range(0, len(tags), max_tags_per_call)]
    source = ids if isinstance(ids, tuple) else tuple(ids)
    batches: list[PlannedBatch] = []
    for chunk, start in enumerate(range(0, len(source), max_ids_per_call)):
        stop = min(start + max_ids_per_call, len(source))
        for group_index, group in enumerate(tag_groups):
            batches.append(
                PlannedBatch(
                    index=len(batches) + 1,
                    tags=group,
                    tag_group=group_index,
                    chunk=chunk,
                    start=start,
                    stop=stop,
                    source=source,
                )
            )
    return tuple(batches)


def id_chunks(ids: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """The ids in order, cut into pieces of at most `size`: how a call refused for its URL length is split."""
    if size < 1:
        raise ValueError(f"size must be at least 1, not {size}")
    return [tuple(ids[start : start + size]) for start in range(0, len(ids), size)]


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
    ids = tuple(normalise_record_ids(record_ids))
    tags = tuple(normalise_tag_names(tag_names))
    batches = plan_batches(ids, tags, max_ids_per_call=max_ids_per_call, max_tags_per_call=max_tags_per_call)
    return TagPlan(action=action, module=api_module, ids=ids, tags=tags, batches=batches)
