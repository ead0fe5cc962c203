"""RESULTS.md's sections on the operator in Airflow (scenario 5) and on the Zoho-like profile (scenario 6)."""

from __future__ import annotations

from benchmarks.markdown_table import NONE, plural, ratio_text, seconds_text, table_header, table_row
from benchmarks.memory import MemoryResult
from benchmarks.operator_dag import VARIANTS
from benchmarks.operator_figures import DAG_TEST, DEPLOYMENT, OperatorRun
from benchmarks.operator_runs import DEFAULTS_VARIANT, OWN_PROCESS_FROM, RUN_ORDER, OperatorResult
from benchmarks.operator_setting import DEFAULT_BACKEND, OBJECT_STORAGE_THRESHOLD
from benchmarks.tag_removal import TagRemovalResult
from benchmarks.target_check import mb
from benchmarks.zoho_profile import cold_bound_seconds

MODES = (DAG_TEST, DEPLOYMENT)
MILLION = 1_000_000


def _mb(mib: float | None, start: float | None = None) -> str:
    """A peak in MB; with `start`, what the process held when the task started, in brackets."""
    if mib is None:
        return NONE
    return f"{mb(mib):,.0f}" if start is None else f"{mb(mib):,.0f} ({mb(start):,.0f})"


def _where(run: OperatorRun) -> str:
    return run.mode if run.xcom_backend == DEFAULT_BACKEND else f"{run.mode}, {run.xcom_backend} XCom"


def _variant(variant: str) -> str:
    if variant == "results_path":
        return "auto + results_path"
    return "auto (defaults)" if variant == DEFAULTS_VARIANT else variant


def _state(run: OperatorRun) -> str:
    return run.state if not run.error else f"**{run.state}** ({run.error})"


def _runs(result: OperatorResult) -> list[OperatorRun]:
    found = (
        result.run(mode, variant, size)
        for size in result.conditions.operator_sizes
        for mode in MODES
        for variant in VARIANTS
    )
    return [run for run in found if run is not None]


def _time_rows(result: OperatorResult) -> list[str]:
    lines = table_header(
        "N",
        "return_records",
        "where",
        "task",
        "task s",
        "execute s",
        "push s",
        "execute + push vs client alone",
        "downstream pull s",
        "downstream",
        align="llll",
    )
    for run in _runs(result):
        client = result.client(run.size, sink=False)
        spent = run.execute_and_push_seconds
        lines.append(
            table_row(
                f"{run.size:,}",
                _variant(run.variant),
                _where(run),
                _state(run),
                seconds_text(run.task_seconds),
                seconds_text(run.execute_seconds),
                seconds_text(run.push_seconds),
                NONE if spent is None else ratio_text(spent, client.seconds),
                seconds_text(run.pull_seconds),
                run.consumer_state,
            )
        )
    return lines


def _size_rows(result: OperatorResult) -> list[str]:
    lines = table_header(
        "N",
        "return_records",
        "where",
        "records returned",
        "return_value bytes",
        "summary bytes",
        "results file lines",
        "API calls",
        "peak MB: task runner",
        "supervisor (at start)",
        "API server (at start)",
        align="lll",
    )
    for run in _runs(result):
        returned = run.xcom_bytes.get("return_value")
        lines.append(
            table_row(
                f"{run.size:,}",
                _variant(run.variant),
                _where(run),
                NONE if run.records_returned is None else f"{run.records_returned:,}",
                "no row" if returned is None else f"{returned:,}",
                f"{run.xcom_bytes.get('summary', 0):,}",
                NONE if run.results_lines is None else f"{run.results_lines:,}",
                f"{run.api_calls:,}",
                _mb(run.runner_mib),
                _mb(run.supervisor_mib, run.supervisor_start_mib),
                _mb(run.api_server_mib, run.api_server_start_mib),
            )
        )
    return lines


def _client_row(without: MemoryResult, sink: MemoryResult) -> str:
    return table_row(
        f"{without.ids:,}",
        seconds_text(without.seconds),
        seconds_text(without.cpu_seconds),
        f"{mb(without.peak_mib):,.0f}",
        seconds_text(sink.seconds),
        seconds_text(sink.cpu_seconds),
        f"{mb(sink.peak_mib):,.0f}",
        f"{sink.lines or 0:,}",
    )


def _defaults_runs(result: OperatorResult) -> str:
    conditions = result.conditions
    runs = result.repeats(DEPLOYMENT, DEFAULTS_VARIANT, conditions.defaults_size)
    described = ", ".join(
        f"{run.state}/{run.consumer_state} in {seconds_text(run.task_seconds)} s" for run in runs
    )
    return (
        f"- With the defaults at {conditions.defaults_size:,} ids the deployment ran the DAG "
        f"{plural(len(runs), 'time')} in a row (task/downstream state, task time): {described}."
    )


def _default_backend_note(result: OperatorResult, size: int) -> str:
    """What return_value would weigh on the default backend at `size`, from the largest run that used it."""
    measured = [
        run
        for run in result.runs
        if run.variant == "all" and run.xcom_backend == DEFAULT_BACKEND and run.xcom_bytes.get("return_value")
    ]
    if not measured:
        return ""
    run = max(measured, key=lambda run: run.size)
    per_record = run.xcom_bytes["return_value"] / run.size
    return (
        f" (about {per_record * size / 1e6:,.0f} MB of JSON: {per_record:.0f} B per record at {run.size:,})"
    )


def operator_section(result: OperatorResult) -> list[str]:
    conditions = result.conditions
    lines = [
        "## 5. The operator in Airflow: RemoveTagsOperator between an upstream and a downstream task",
        "",
        "An upstream `@task` returns the ids, `RemoveTagsOperator` removes the tags, a downstream `@task` "
        "pulls `return_value` and `summary`. Each row is one run; the client alone (`BiginClient` in a "
        "process of its own) ran at the same N against the same sandbox.",
        "",
        *_time_rows(result),
        "",
        *_size_rows(result),
        "",
        "The client alone at the same N (cold: its token grant included):",
        "",
        *table_header(
            "N", "s", "CPU s", "peak MB", "with a sink: s", "CPU s", "peak MB", "lines written", align="l"
        ),
    ]
    sizes = sorted({client.ids for client in result.clients})
    lines += [_client_row(result.client(size, sink=False), result.client(size, sink=True)) for size in sizes]
    large = [size for size in conditions.operator_sizes if size >= conditions.object_storage_all_from]
    lines += [
        "",
        "- dag.test(): a child process with its own AIRFLOW_HOME on a migrated SQLite database; the task "
        "runner, its supervisor and the execution API all run in it, so its peak RSS is theirs together "
        "(under task runner). Deployment: `airflow api-server`, `airflow scheduler` (LocalExecutor) and "
        "`airflow dag-processor`, each a process tree of its own; every XCom goes task runner -> supervisor "
        "(the LocalExecutor worker) -> the API server's execution API (default 5 s timeout) -> SQLite.",
        f'- Order: each N\'s runs go {", ".join(RUN_ORDER)}, "all" last as it leaves the most resident; '
        f'in the deployment the default-backend "all" runs come after every other run. Under dag.test() '
        f"the runs of one N below {OWN_PROCESS_FROM:,} ids share a child process (Airflow's start-up paid "
        "once), so a run's peak includes what the runs before it there left; from that N on, each run has "
        "a fresh child.",
        "- execute s: the operator's execute(), timed by a thin subclass in the DAG file; push s: from its "
        "end to the task's end date (serialising and sending return_value, then the final state); task s: "
        "the task's start to end date. The downstream pull is its `xcom_pull` of both keys, timed inside it.",
        "- Peaks: VmHWM from `/proc/<pid>/status`, polled every 50 ms; the supervisor's and the API server's "
        "are reset (`clear_refs`) when the task starts, and the API server's covers the downstream task too. "
        "In brackets: their RSS when the task started, what earlier runs left resident. Bytes: the `value` "
        "column of Airflow's `xcom` table, read from the SQLite file.",
        _defaults_runs(result),
    ]
    if large:
        large_sizes = ", ".join(f"{size:,}" for size in large)
        note = _default_backend_note(result, MILLION)
        lines.append(
            f"- return_records='all' at {large_sizes} ids ran only with common-io's XComObjectStorageBackend "
            f"(values from {OBJECT_STORAGE_THRESHOLD // 1024} KiB go to files; the table keeps a reference). "
            f"On the default backend a million records' return value{note} is pushed in a deployment for "
            "longer than the execution API's 5 s timeout, retried, and the task fails after minutes with GBs "
            "in the task runner, the supervisor and the API server; under dag.test() it succeeds, but its "
            "one process holds every record several times over (GBs). That costs too much memory and time "
            "for `make bench`, which does not run it: a finding, not a figure."
        )
    lines.append(
        f"- The scenario took {seconds_text(result.seconds)} s; processes left after the deployments "
        f"stopped: {len(result.leftover_pids)}."
    )
    return lines


def zoho_section(zoho: TagRemovalResult, fifty: TagRemovalResult) -> list[str]:
    conditions = zoho.conditions
    size = conditions.zoho_size
    run = zoho.run("a", size)
    bound = cold_bound_seconds(zoho)
    bare = zoho.bare_median(size)
    largest = max(fifty.conditions.sizes)
    base = fifty.run("a", largest)
    base_bare = fifty.bare_median(largest)
    return [
        f"## 6. A Zoho-like profile: {conditions.latency_ms:g} ms per request, a cap of "
        f"{conditions.max_concurrency}",
        "",
        *table_header(
            "latency",
            "N",
            "(a) s",
            "latency bound s",
            "(a) vs bound",
            "bare s",
            "(a) vs bare",
            "sandbox-bound s",
            "429s",
            "CPU µs per record",
        ),
        table_row(
            f"{conditions.latency_ms:g} ms",
            f"{size:,}",
            seconds_text(run.seconds),
            seconds_text(bound),
            ratio_text(run.seconds, bound),
            seconds_text(bare),
            ratio_text(run.seconds, bare),
            seconds_text(zoho.service_bound_seconds(size)),
            run.rejected,
            f"{run.cpu_seconds / size * 1e6:.1f}",
        ),
        table_row(
            f"{fifty.conditions.latency_ms:g} ms",
            f"{largest:,}",
            seconds_text(base.seconds),
            seconds_text(fifty.conditions.latency_seconds + fifty.conditions.floor_seconds(largest)),
            ratio_text(
                base.seconds, fifty.conditions.latency_seconds + fifty.conditions.floor_seconds(largest)
            ),
            seconds_text(base_bare),
            ratio_text(base.seconds, base_bare),
            seconds_text(fifty.service_bound_seconds(largest)),
            base.rejected,
            f"{base.cpu_seconds / largest * 1e6:.1f}",
        ),
        "",
        f"- The client (a) ran cold {plural(conditions.repeats, 'time')} (the median is shown; every "
        f"repeat: {', '.join(seconds_text(r.seconds) for r in zoho.repeats('a', size))} s), the bare calls "
        f"beside it, against one sandbox at each latency; the {fifty.conditions.latency_ms:g} ms row is "
        "scenario 1's largest N.",
        "- Latency bound of a cold run: one token round trip + ceil(calls / cap) round trips. The "
        "sandbox-bound time is one event loop serving one call at a time: where it is above the latency "
        "bound, no client can reach that bound against the sandbox (Zoho's servers are not one event loop).",
        "- CPU µs per record: the measuring process's CPU time during the run (all of the client's threads) "
        "divided by N.",
    ]
