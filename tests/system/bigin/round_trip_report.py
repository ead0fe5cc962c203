"""The system test's report: what Zoho answered at each step, and what that settles in docs/zoho-facts.md.

Plain functions of the steps' XComs, so that the report task only gathers them. Nothing secret is in them:
record ids, tag names, paths, HTTP statuses and Zoho's per-record code, status, message and details.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_bigin.client.plurals import count_noun
from tests.system.bigin.http_watch import describe


def tag_names(tags: Any) -> list[str] | None:
    """The names in a ``details.tags`` (Bigin's sample lists strings, Zoho CRM v7 objects); None if absent."""
    if not isinstance(tags, list):
        return None
    return [
        tag if isinstance(tag, str) else str(tag.get("name")) for tag in tags if isinstance(tag, (str, dict))
    ]


def details_tags_meaning(
    listed: list[str] | None, tag: str, before: Sequence[str], after: Sequence[str]
) -> str:
    """Which of the readings ``details.tags`` fits, given the record's tags read before and after the call."""
    if listed is None:
        return "the reply has no details.tags"
    readings = [
        (set(listed) == set(after), "the record's tags after the call"),
        (set(listed) == set(before), "the record's tags before the call"),
        (set(listed) == {tag}, "the tag the call named"),
    ]
    fits = [reading for holds, reading in readings if holds]
    return " = ".join(fits) if fits else "none of: the tags before the call, after it, the tag named"


def _record_line(record: Mapping[str, Any]) -> str:
    details = record.get("details") or {}
    return (
        f"record {record.get('id')}: status={record.get('status')!r} code={record.get('code')!r} "
        f"message={record.get('message')!r} details.tags={tag_names(details.get('tags'))!r}"
    )


def _tag_step(step: Mapping[str, Any]) -> list[str]:
    lines = [f"  {describe(exchange)}" for exchange in step.get("exchanges") or []]
    if not lines:
        lines.append("  no request reached Bigin")
    lines += [f"  {_record_line(record)}" for record in step.get("records") or []]
    summary = step.get("summary")
    if summary:
        failed = f"{summary.get('failed')} failed" + (
            f" {summary['failed_by_code']}" if summary.get("failed_by_code") else ""
        )
        calls = count_noun(summary.get("api_calls") or 0, "API call")
        lines.append(f"  summary: {summary.get('succeeded')} succeeded, {failed}, {calls}")
    return lines


def _read_step(step: Mapping[str, Any], tag: str) -> list[str]:
    read = step.get("read")
    if not read:
        return ["  no read"]
    if not read["found"]:
        return [f"  GET {read['path']} -> HTTP {read['http_status']}: no such record"]
    has = "present" if tag in read["tags"] else "absent"
    said = f"GET {read['path']} -> HTTP {read['http_status']}"
    return [f"  {said}; Tag field {read['tags']!r} (temporary tag {has})"]


def _first_record(step: Mapping[str, Any] | None) -> Mapping[str, Any]:
    records = (step or {}).get("records") or []
    return records[0] if records else {}


def _accepted_shape(step: Mapping[str, Any] | None) -> str:
    accepted = [
        exchange for exchange in (step or {}).get("exchanges") or [] if 200 <= exchange["status"] < 300
    ]
    if not accepted:
        return "none accepted (see step 1)"
    if "tag_names" in accepted[-1]["query"]:
        return "the query parameters of Bigin's v1 Add Tags (tag_names), after the JSON body was refused"
    return 'the JSON body {"tags": [{"name": ...}]}, no query string'


def _status_of(step: Mapping[str, Any] | None) -> str:
    exchanges = (step or {}).get("exchanges") or []
    return ", ".join(f"HTTP {exchange['status']}" for exchange in exchanges) or "no reply"


def render_report(plan: Mapping[str, Any], steps: Mapping[str, Mapping[str, Any]], module_tags: str) -> str:
    """The report. `steps` maps task ids (add_tag, read_after_add, ...) to their gathered XComs."""
    tag = str(plan.get("tag"))
    api_domain = ((steps.get("read_after_add") or {}).get("read") or {}).get("api_domain")
    lines = [
        f"Bigin system test: temporary tag {tag!r} on {plan.get('module')} record {plan.get('record_id')}"
        + (f" at {api_domain}" if api_domain else ""),
    ]
    titles = {
        "add_tag": "1. add the tag (AddTagsOperator)",
        "read_after_add": "2. read the record back",
        "remove_tag": "3. remove the tag (RemoveTagsOperator)",
        "read_after_remove": "4. read the record again",
        "remove_absent_tag": "5. remove the now-absent tag (RemoveTagsOperator)",
        "teardown_remove_tag": "6. teardown: remove the tag whatever happened",
    }
    for task_id, title in titles.items():
        step = steps.get(task_id) or {}
        lines.append(f"{title} [{task_id}]")
        lines += _read_step(step, tag) if task_id.startswith("read_") else _tag_step(step)
    lines.append(f"module tag list afterwards: {module_tags}")

    before = ((steps.get("read_after_add") or {}).get("read") or {}).get("tags") or []
    after = ((steps.get("read_after_remove") or {}).get("read") or {}).get("tags") or []
    without = [name for name in before if name != tag]
    added = tag_names((_first_record(steps.get("add_tag")).get("details") or {}).get("tags"))
    removed = tag_names((_first_record(steps.get("remove_tag")).get("details") or {}).get("tags"))
    absent = _first_record(steps.get("remove_absent_tag"))
    lines += [
        "What Zoho answered to the points docs/zoho-facts.md marks unconfirmed:",
        f"- Add Tags accepted {_accepted_shape(steps.get('add_tag'))}",
        f"- details.tags of Add Tags: {added!r}: {details_tags_meaning(added, tag, without, before)}",
        f"- details.tags of Remove Tags: {removed!r}: {details_tags_meaning(removed, tag, before, after)}",
        f"- removing an absent tag: {_status_of(steps.get('remove_absent_tag'))}, "
        f"status={absent.get('status')!r} code={absent.get('code')!r} message={absent.get('message')!r}",
    ]
    return "\n".join(lines)
