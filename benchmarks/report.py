"""RESULTS.md: every scenario's figures, each way's ratio against this provider's client, and the targets."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.conditions import BenchConditions
from benchmarks.fanout import FanoutResult, FanoutRun
from benchmarks.import_cost import ImportCostResult
from benchmarks.markdown_table import NONE, plural, ratio_text, seconds_text, table_header, table_row, whole
from benchmarks.memory import MemoryResult, MemoryScenario
from benchmarks.operator_report import operator_section, zoho_section
from benchmarks.operator_runs import OperatorResult
from benchmarks.shared_cap import SharedCapResult
from benchmarks.shared_cap_report import shared_cap_section
from benchmarks.tag_removal import WAYS, TagRemovalResult, WayRun
from benchmarks.target_check import TargetCheck, mb


@dataclass(frozen=True)
class Environment:
    """What was measured, where and when."""

    revision: str
    date: str
    python: str
    airflow: str
    http_provider: str
    platform: str
    cpus: int


@dataclass(frozen=True)
class BenchResults:
    conditions: BenchConditions
    environment: Environment
    tag_removal: TagRemovalResult
    fanout: FanoutResult
    imports: ImportCostResult
    memory: MemoryScenario
    operators: OperatorResult
    zoho: TagRemovalResult
    shared_cap: SharedCapResult
    targets: list[TargetCheck]
    wall_seconds: float


def _way_row(run: WayRun, base: WayRun) -> str:
    seconds = seconds_text(run.seconds)
    if run.extrapolated:
        seconds += f" (extrapolated from {run.sample:,})"
    return table_row(
        f"{run.size:,}",
        f"({run.way}) {WAYS[run.way]}",
        f"{run.calls:,}",
        run.token_grants,
        f"{run.credits:,}",
        seconds,
        whole(run.records_per_second),
        ratio_text(run.calls, base.calls),
        ratio_text(run.credits, base.credits),
        ratio_text(run.seconds, base.seconds),
    )


def _bound_rows(result: TagRemovalResult, size: int) -> list[str]:
    conditions = result.conditions
    base = result.run("a", size)
    calls = conditions.floor_calls(size)
    latency_bound = conditions.floor_seconds(size)
    service_bound = result.service_bound_seconds(size)
    bare = result.bare_median(size)
    return [
        table_row(
            f"{size:,}",
            "floor: ceil(N/500) calls, latency-bound time",
            f"{calls:,}",
            NONE,
            NONE,
            seconds_text(latency_bound),
            whole(size / latency_bound),
            f"(a) = {ratio_text(base.calls, calls)}",
            NONE,
            f"(a) = {ratio_text(base.seconds, latency_bound)}",
        ),
        table_row(
            f"{size:,}",
            f"bare: the floor's calls, {conditions.max_concurrency} at a time, replies unparsed",
            f"{calls:,}",
            NONE,
            NONE,
            seconds_text(bare),
            whole(size / bare),
            NONE,
            NONE,
            f"(a) = {ratio_text(base.seconds, bare)}",
        ),
        table_row(
            f"{size:,}",
            "sandbox-bound: calls x its time per call",
            f"{calls:,}",
            NONE,
            NONE,
            seconds_text(service_bound),
            whole(size / service_bound),
            NONE,
            NONE,
            f"(a) = {ratio_text(base.seconds, service_bound)}",
        ),
    ]


def _tag_removal(result: TagRemovalResult) -> list[str]:
    conditions = result.conditions
    largest = max(conditions.sizes)
    lines = ["## 1. Removing tags from N records", ""]
    lines += table_header(
        "N",
        "way",
        "calls",
        "token grants",
        "credits",
        "seconds",
        "records/s",
        "calls vs (a)",
        "credits vs (a)",
        "time vs (a)",
        align="ll",
    )
    for size in conditions.sizes:
        base = result.run("a", size)
        lines += [_way_row(result.run(way, size), base) for way in WAYS]
        lines += _bound_rows(result, size)
    lines += ["", "(a) in detail, and the times of every repeat of (a) and (c) (the median is above):", ""]
    lines += table_header(
        "N",
        "429s from the cap (re-sent)",
        "retries",
        "failed records",
        "most in flight",
        "CPU s",
        "(a) s",
        "(c) s",
        align="lrrrrrll",
    )
    for size in conditions.sizes:
        repeats = result.repeats("a", size)
        lines.append(
            table_row(
                f"{size:,}",
                sum(run.rejected for run in repeats),
                sum(run.retries for run in repeats),
                sum(run.failed for run in repeats),
                max(run.max_concurrency_seen for run in repeats),
                seconds_text(result.run("a", size).cpu_seconds),
                ", ".join(seconds_text(run.seconds) for run in repeats),
                ", ".join(seconds_text(run.seconds) for run in result.repeats("c", size)),
            )
        )
    smallest_calls = conditions.floor_calls(min(conditions.sizes))
    service = ", ".join(
        f"{result.service_seconds[size] * 1000:.1f} ms at {size:,}" for size in conditions.sizes
    )
    lines += [
        "",
        f"- Latency-bound time = ceil(calls / {conditions.max_concurrency}) x {conditions.latency_ms:g} ms. "
        f"It is the target's ceil(N/500) x latency / concurrency when the calls fill whole rounds of "
        f"{conditions.max_concurrency}; a partial round ({plural(smallest_calls, 'call')} at "
        f"{min(conditions.sizes):,} ids) still takes one round trip, so it counts as one.",
        "- Sandbox-bound time = calls x the median time the sandbox took to answer one call sent alone at "
        f"zero latency, measured just before each N's runs ({service}; loopback round trip included). The "
        "sandbox is one Python event loop and does one call's work at a time, so no client can beat this "
        "bound against it. Zoho's servers are not one event loop.",
        "- Bare: the floor's calls sent by plain threads over pooled sessions, replies read as bytes and "
        "never parsed (benchmarks/bare_calls.py), after one token grant as (a) has: what this sandbox and "
        "machine allow any client. (a) "
        "divided by it is the client's own cost: token, validation, parsing, per-record results.",
        f"- (b) ran for real up to {conditions.loop_real_max:,} records; above that on the first "
        f"{conditions.loop_sample:,} records, its time extrapolated as token time + N x the measured time "
        "per call. Its calls (one per record), token grant (one per task) and credits (measured credits per "
        "call x N) are exact by construction.",
        f"- (c) ran for real at every N: {conditions.floor_calls(largest):,} sequential calls at "
        f"{largest:,}.",
        f"- (a) and (c) ran {plural(conditions.repeats, 'time')} at each N, taking turns; the tables show "
        "the run of median time. Each run starts cold: its one token grant is in its time.",
        "- Credits follow the sandbox's model of Zoho's: 1 per single-record call; per bulk tag call, 1 per "
        "50 records, at most 10.",
    ]
    return lines


def _fanout_row(run: FanoutRun, label: str) -> str:
    errors = ", ".join(f"{count} {name}" for name, count in run.errors) or "none"
    return table_row(
        label,
        run.tasks,
        run.token_grants,
        run.access_denied,
        f"{run.failed_tasks} ({errors})",
        run.api_calls,
        run.rejected,
        seconds_text(run.seconds),
    )


def _fanout(result: FanoutResult) -> list[str]:
    lines = ["## 2. Fan-out: task processes on one connection, starting together", ""]
    lines += table_header(
        "way",
        "tasks",
        "token grants",
        "denied by the budget",
        "failed tasks",
        "API calls",
        "429s",
        "seconds",
        align="lrrrlrrr",
    )
    lines += [
        _fanout_row(result.client, "(a) provider client, default token cache"),
        _fanout_row(result.handwritten, "hand-written: a token per task, as (b) and (c)"),
        "",
        "- Each task is its own Python process; all have done their imports before one start signal. "
        'The client runs with its default token cache (the connection extra `cache_backend`, "auto"): '
        "outside an Airflow task that is the file store, whose lock turns the cold start into one grant; "
        "inside a task it is an Airflow Variable.",
        "- The sandbox enforces Zoho's token budget: 10 grants per refresh token per 10 minutes, then "
        "`Access Denied` and a lock-out; a hand-written task that is denied fails. Every task removes a tag "
        "from its own record, through the same concurrency cap; the client absorbs 429s with backoff.",
    ]
    return lines


def _imports(result: ImportCostResult) -> list[str]:
    lines = [
        "## 3. DAG-parse cost: import time on top of `airflow.sdk`",
        "",
        f"Median of {result.repeats} fresh interpreters each; `import airflow.sdk` itself takes "
        f"{result.sdk_seconds * 1000:,.0f} ms on this machine.",
        "",
    ]
    lines += table_header(
        "module", "adds (median)", "modules loaded", "HTTP or client modules loaded", align="lrrl"
    )
    for cost in result.costs.values():
        heavy = ", ".join(cost.heavy_loaded) or "none"
        lines.append(table_row(f"`{cost.target}`", f"{cost.seconds * 1000:.1f} ms", cost.modules, heavy))
    lines += ["", f"The operator module costs {result.bigin_to_http:.2f}x what HttpOperator's module adds."]
    return lines


def _memory_row(result: MemoryResult) -> str:
    return table_row(
        "a sink (JSON Lines on disk); only the failed kept" if result.sink else "every result kept",
        f"{mb(result.peak_mib):.0f} MB",
        f"{mb(result.imported_mib):.0f} MB",
        f"{mb(result.before_mib):.0f} MB",
        f"{mb(result.run_mib):.0f} MB",
        f"{result.bytes_per_record:.0f}",
        f"{result.results:,} ({result.succeeded:,} succeeded)",
        NONE if result.lines is None else f"{result.lines:,}",
        f"{result.api_calls:,}",
        seconds_text(result.seconds),
    )


def _memory(result: MemoryScenario) -> list[str]:
    ids = result.without_sink.ids
    lines = [f"## 4. Memory: the client removing tags from {ids:,} records", ""]
    lines += table_header(
        "results",
        "peak RSS",
        "after imports",
        "ids in a list",
        "added by the run",
        "B per record",
        "results held",
        "lines written",
        "API calls",
        "seconds",
        align="l",
    )
    lines += [
        _memory_row(result.without_sink),
        _memory_row(result.with_sink),
        "",
        "- A child process of its own; peak (VmHWM) and the others (VmRSS) from `/proc/self/status`; MB are "
        f"10^6 bytes. The sandbox, in another process, holds {ids:,} real records, so every reply "
        "entry is a full SUCCESS with the record's tag list. B per record: added by the run / N.",
        "- With a sink the client hands each settled call's results to it and keeps only the failed ones; "
        "this sink writes them as JSON Lines to a local file, as an operator's results_path does.",
    ]
    return lines


def _targets(targets: list[TargetCheck]) -> list[str]:
    lines = ["## Targets", "", *table_header("target", "measured", "met", align="lll")]
    lines += [table_row(check.target, check.measured, "yes" if check.met else "**no**") for check in targets]
    missed = [check for check in targets if not check.met]
    if missed:
        lines += ["", "Missed:", ""]
        lines += [f"- {check.target}: {check.why}." for check in missed]
    return lines


def _preamble(results: BenchResults) -> list[str]:
    conditions, env = results.conditions, results.environment
    command = "python -m benchmarks.run" + (" --quick" if conditions.name == "quick" else "")
    tags = ", ".join(repr(tag) for tag in conditions.tags)
    return [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`{command}`) on {env.date}, from commit {env.revision}, in "
        f"{seconds_text(results.wall_seconds)} s. Do not edit by hand.",
        "",
        f"Machine: {env.cpus} CPUs, {env.platform}; Python {env.python}; Airflow {env.airflow}; "
        f"apache-airflow-providers-http {env.http_provider}. The machine is shared and noisy: the counts are "
        "exact, the times indicative.",
        "",
        "Conditions: the sandbox runs in its own process on 127.0.0.1 and adds "
        f"{conditions.latency_ms:g} ms of latency (jitter up to {conditions.latency_ms / 5:g} ms) to every "
        f"request, token requests included. It answers 429 past {conditions.max_concurrency} API requests "
        f"in flight; the client runs {conditions.max_concurrency} calls at a time. Every run removes {tags} "
        f"from {conditions.module} records.",
        "",
        "Ways: (a) this provider's `BiginClient`; (b) the loop of hand-written DAGs: a token per task, then "
        "one `requests.post` per record on the single-record endpoint; (c) Airflow's `HttpHook` "
        "(apache-airflow-providers-http), one call per 500 ids, sequential, a token per run.",
        "",
    ]


def render(results: BenchResults) -> str:
    lines = _preamble(results)
    for section in (
        _targets(results.targets),
        _tag_removal(results.tag_removal),
        _fanout(results.fanout),
        _imports(results.imports),
        _memory(results.memory),
        operator_section(results.operators),
        zoho_section(results.zoho, results.tag_removal),
        shared_cap_section(results.shared_cap),
    ):
        lines += [*section, ""]
    return "\n".join(lines).rstrip() + "\n"


def headline(results: BenchResults) -> list[str]:
    """What run.py prints at the end: the largest N side by side, and the targets."""
    result = results.tag_removal
    size = max(result.conditions.sizes)
    base = result.run("a", size)
    lines = []
    for way in WAYS:
        run = result.run(way, size)
        lines.append(
            f"N={size:,} ({way}): {run.calls:,} calls, {run.credits:,} credits, "
            f"{seconds_text(run.seconds)} s ({ratio_text(run.seconds, base.seconds)} the time of (a))"
        )
    for check in results.targets:
        lines.append(f"target {'met' if check.met else 'MISSED'}: {check.target}: {check.measured}")
    return lines
