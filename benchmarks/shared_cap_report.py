"""Section 7 of RESULTS.md and its two targets: calls that share one org's cap, fixed against adaptive."""

from __future__ import annotations

from typing import Any

from benchmarks.markdown_table import seconds_text, table_header, table_row
from benchmarks.shared_cap import SharedCapResult, SharedCapRun
from benchmarks.target_check import TargetCheck

MAX_REJECTED_SHARE = 0.10  # adaptive: at most this share of calls answered 429 ...
MIN_SHARE_OF_FLOOR = 0.80  # ... and at least this share of the cap's floor throughput

_LABELS = {
    "fixed": "fixed: each task at its max_concurrency",
    "adaptive": "adaptive (the default)",
    "alone": "one client alone with the whole cap (10, fixed)",
}


def _row(result: SharedCapResult, run: SharedCapRun) -> str:
    return table_row(
        _LABELS[run.mode],
        run.tasks,
        run.asked,
        f"{run.api_calls:,}",
        f"{run.rejected:,} ({run.rejected_share:.0%})",
        f"{run.retries:,}",
        f"{run.failed:,}",
        run.wrong,
        seconds_text(run.seconds),
        f"{run.records_per_second():,.0f}",
        f"{result.share_of_floor(run):.0%}",
    )


def shared_cap_section(result: SharedCapResult) -> list[str]:
    conditions = result.conditions
    lines = ["## 7. One org's cap, shared by task processes starting together", ""]
    lines += table_header(
        "calls in flight",
        "tasks",
        "asked for",
        "calls",
        "429s",
        "retries",
        "records failed",
        "outcomes wrong",
        "seconds",
        "records/s",
        "of the floor",
        align="lrrrrrrrrrr",
    )
    lines += [_row(result, run) for run in result.runs()]
    lines += [
        "",
        f"- {conditions.shared_cap_tasks} task processes, each its own Python process with the client's "
        f"defaults (`max_concurrency` {result.max_concurrency}), remove a tag from "
        f"{conditions.shared_cap_ids_per_task:,} ids each, all on one connection, after one start signal; "
        f"the sandbox answers 429 past {result.cap} calls in flight for the whole org and adds "
        f"{conditions.latency_ms:g} ms to each call. Each run removes a tag of its own from the same "
        "records.",
        f"- The floor is the cap's own: {result.cap} calls x 500 ids per {conditions.latency_ms:g} ms = "
        f"{result.floor_records_per_second:,.0f} records/s. The last row is what one client with the whole "
        "cap to itself gets on this machine, measured in the same run: the sandbox serves one call at a time "
        "(section 1, sandbox-bound) and the client parses every reply, so no run here reaches the floor.",
        "- A record failed is RATE_LIMITED: its call met a 429 on every attempt of its retry budget. "
        "'Outcomes wrong' counts records whose reported outcome disagrees with the sandbox's final state.",
        "- The adaptive client starts at one call, doubles per round trip until its first 429, halves on "
        "each 429 and paces its calls below one in flight; an Airflow pool sized to the org's cap (the docs' "
        "Many workers page) keeps the tasks from asking for more than the cap at all.",
    ]
    return lines


def check_shared_cap(result: SharedCapResult) -> list[TargetCheck]:
    run = result.adaptive
    share = result.share_of_floor(run)
    right = run.wrong == 0 and result.fixed.wrong == 0
    return [
        TargetCheck(
            f"{run.tasks} tasks sharing a cap of {result.cap}, adaptive: at most {MAX_REJECTED_SHARE:.0%} of "
            "calls answered 429, every record's outcome right in both modes",
            f"{run.rejected_share:.0%} ({run.rejected} of {run.api_calls}; fixed: "
            f"{result.fixed.rejected_share:.0%}); wrong outcomes: {run.wrong} adaptive, {result.fixed.wrong} "
            "fixed",
            run.rejected_share <= MAX_REJECTED_SHARE and right,
            ""
            if run.rejected_share <= MAX_REJECTED_SHARE
            else "tasks that each hold less than one call of the cap meet 429s while they find their share",
        ),
        TargetCheck(
            f"{run.tasks} tasks sharing a cap of {result.cap}, adaptive: at least "
            f"{MIN_SHARE_OF_FLOOR:.0%} of the cap's floor throughput",
            f"{share:.0%} ({run.records_per_second():,.0f} of {result.floor_records_per_second:,.0f} "
            f"records/s; one client alone: {result.share_of_floor(result.alone):.0%})",
            share >= MIN_SHARE_OF_FLOOR,
            ""
            if share >= MIN_SHARE_OF_FLOOR
            else "one client alone with the whole cap gets "
            f"{result.share_of_floor(result.alone):.0%} of the floor here (the sandbox serves one call at a "
            "time); the tasks that met 429s early pace their calls and finish last",
        ),
    ]


def shared_cap_figures(result: SharedCapResult) -> dict[str, Any]:
    """results.json's `shared_cap`, as the docs' chart reads it."""
    return {
        "cap": result.cap,
        "floor_records_per_second": result.floor_records_per_second,
        "runs": [
            {
                "mode": run.mode,
                "tasks": run.tasks,
                "concurrency": run.asked,
                "calls": run.api_calls,
                "rejected": run.rejected,
                "retries": run.retries,
                "failed": run.failed,
                "wrong": run.wrong,
                "seconds": run.seconds,
                "records_per_second": run.records_per_second(),
            }
            for run in result.runs()
        ],
    }
