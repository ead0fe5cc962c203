"""results.json beside RESULTS.md: the same figures as its tables, as data, for the docs site's charts.

Built from the `BenchResults` that `report.render` turns into Markdown, so that a chart and a table cannot
disagree. Times in seconds, memory in MB (10^6 bytes, as in RESULTS.md); a figure that was not measured is
null. Readers look keys up by name and skip a chart whose key is missing.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from benchmarks.memory import MemoryResult
from benchmarks.operator_figures import OperatorRun
from benchmarks.report import BenchResults
from benchmarks.shared_cap_report import shared_cap_figures
from benchmarks.tag_removal import WAYS
from benchmarks.target_check import mb

FORMAT = 1  # bumped when a key changes meaning


def _mb(mib: float | None) -> float | None:
    return None if mib is None else round(mb(mib), 1)


def _tag_removal(results: BenchResults) -> list[dict[str, Any]]:
    """Per N and way, the run of median time (what section 1's table shows)."""
    result = results.tag_removal
    rows = []
    for size in result.conditions.sizes:
        for way, label in WAYS.items():
            run = result.run(way, size)
            rows.append(
                {
                    "size": size,
                    "way": way,
                    "label": label,
                    "calls": run.calls,
                    "token_grants": run.token_grants,
                    "credits": run.credits,
                    "seconds": run.seconds,
                    "extrapolated": run.extrapolated,
                    "rejected": run.rejected,
                }
            )
    return rows


def _fanout(results: BenchResults) -> list[dict[str, Any]]:
    return [
        {
            "way": run.kind,
            "tasks": run.tasks,
            "token_grants": run.token_grants,
            "access_denied": run.access_denied,
            "failed_tasks": run.failed_tasks,
            "api_calls": run.api_calls,
            "rejected": run.rejected,
            "seconds": run.seconds,
        }
        for run in (results.fanout.client, results.fanout.handwritten)
    ]


def _client(client: MemoryResult) -> dict[str, Any]:
    return {
        "size": client.ids,
        "sink": client.sink,
        "seconds": client.seconds,
        "cpu_seconds": client.cpu_seconds,
        "peak_mb": _mb(client.peak_mib),
    }


def _operator(run: OperatorRun) -> dict[str, Any]:
    return {
        "size": run.size,
        "variant": run.variant,
        "mode": run.mode,
        "xcom_backend": run.xcom_backend,
        "state": run.state,
        "consumer_state": run.consumer_state,
        "task_seconds": run.task_seconds,
        "execute_seconds": run.execute_seconds,
        "push_seconds": run.push_seconds,
        "pull_seconds": run.pull_seconds,
        "return_value_bytes": run.xcom_bytes.get("return_value"),
        "runner_peak_mb": _mb(run.runner_mib),
        "supervisor_peak_mb": _mb(run.supervisor_mib),
        "api_server_peak_mb": _mb(run.api_server_mib),
    }


def _operators(results: BenchResults) -> list[dict[str, Any]]:
    """Per N, mode and variant, the run of median task time (what section 5's tables show)."""
    result = results.operators
    keys = dict.fromkeys((run.mode, run.variant, run.size) for run in result.runs)
    found = (result.run(mode, variant, size) for mode, variant, size in keys)
    return [_operator(run) for run in found if run is not None]


def figures(results: BenchResults) -> dict[str, Any]:
    """Every scenario's figures, keyed by scenario."""
    return {
        "format": FORMAT,
        "environment": dataclasses.asdict(results.environment),
        "conditions": {
            "name": results.conditions.name,
            "latency_ms": results.conditions.latency_ms,
            "max_concurrency": results.conditions.max_concurrency,
            "module": results.conditions.module,
            "tags": list(results.conditions.tags),
        },
        "wall_seconds": results.wall_seconds,
        "tag_removal": _tag_removal(results),
        "fanout": _fanout(results),
        "imports": {
            "sdk_seconds": results.imports.sdk_seconds,
            "modules": {
                key: {"module": cost.target, "seconds": cost.seconds, "modules_loaded": cost.modules}
                for key, cost in results.imports.costs.items()
            },
        },
        "client_alone": [_client(client) for client in results.operators.clients],
        "operator": _operators(results),
        "shared_cap": shared_cap_figures(results.shared_cap),
        "targets": [
            {"target": check.target, "measured": check.measured, "met": check.met}
            for check in results.targets
        ],
    }


def render_json(results: BenchResults) -> str:
    return json.dumps(figures(results), indent=1) + "\n"
