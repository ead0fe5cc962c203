"""The operator's targets in a real deployment: its defaults survive 5 runs of 100,000 ids with a consumer,
and a million ids with results_path succeed near the client's own time, every process within its memory.
"""

from __future__ import annotations

from benchmarks.operator_figures import DEPLOYMENT, OperatorRun
from benchmarks.operator_runs import DEFAULTS_VARIANT, OperatorResult
from benchmarks.target_check import TargetCheck, mb

RESULTS_PATH_VARIANT = "results_path"
CLIENT_TIME_FACTOR = 1.2  # the task's execute + push, against the client alone at the same N
PROCESS_LIMIT_MB = 400.0  # each process's peak RSS: task runner, supervisor, API server


def _failures(runs: list[OperatorRun]) -> str:
    return "; ".join(
        f"run {index + 1}: task {run.state}{f' ({run.error})' if run.error else ''}, "
        f"consumer {run.consumer_state}"
        for index, run in enumerate(runs)
        if not (run.succeeded and run.consumed)
    )


def check_defaults(result: OperatorResult) -> TargetCheck:
    conditions = result.conditions
    size, wanted = conditions.defaults_size, conditions.defaults_runs
    runs = result.repeats(DEPLOYMENT, DEFAULTS_VARIANT, size)
    good = [run for run in runs if run.succeeded and run.consumed]
    met = len(good) == len(runs) == wanted
    returned = ", ".join(sorted({f"{run.xcom_bytes.get('return_value', 0):,} B" for run in runs}))
    return TargetCheck(
        f"with the defaults, {size:,} ids and a downstream consumer succeed in {wanted} of {wanted} "
        "deployment runs",
        f"{len(good)} of {len(runs)} (return_value in the XCom table: {returned})",
        met,
        "" if met else _failures(runs) or f"{len(runs)} runs instead of {wanted}",
    )


def _results_path_run(result: OperatorResult) -> tuple[int, OperatorRun | None]:
    size = max(result.conditions.operator_sizes)
    return size, result.run(DEPLOYMENT, RESULTS_PATH_VARIANT, size)


def check_results_path_succeeds(result: OperatorResult) -> TargetCheck:
    size, run = _results_path_run(result)
    target = f"{size:,} ids with results_path succeed in a deployment, every record's outcome in the file"
    if run is None:
        return TargetCheck(target, "not run", False, "the scenario did not run it")
    met = run.succeeded and run.consumed and run.results_lines == size
    return TargetCheck(
        target,
        f"task {run.state}, consumer {run.consumer_state}, {run.results_lines or 0:,} lines",
        met,
        "" if met else _failures([run]) or f"{run.results_lines} lines for {size:,} ids",
    )


def check_results_path_time(result: OperatorResult) -> TargetCheck:
    size, run = _results_path_run(result)
    client = result.client(size, sink=False)
    target = (
        f"{size:,} ids with results_path: the task's execute + push take at most {CLIENT_TIME_FACTOR}x the "
        "client alone"
    )
    seconds = run.execute_and_push_seconds if run else None
    if run is None or seconds is None:
        return TargetCheck(target, "not measured", False, "the run or its execute() timings are missing")
    ratio = seconds / client.seconds if client.seconds else float("inf")
    met = ratio <= CLIENT_TIME_FACTOR
    why = ""
    if not met:
        with_sink = result.client(size, sink=True)
        why = (
            f"{seconds - CLIENT_TIME_FACTOR * client.seconds:.1f} s over: execute "
            f"{run.execute_seconds:.1f} s (the client alone with a sink: {with_sink.seconds:.1f} s), push "
            f"{run.push_seconds:.1f} s"
        )
    return TargetCheck(
        target,
        f"{seconds:.1f} s = {ratio:.2f}x {client.seconds:.1f} s (task start to end: "
        f"{run.task_seconds or 0:.1f} s)",
        met,
        why,
    )


def check_results_path_memory(result: OperatorResult) -> TargetCheck:
    size, run = _results_path_run(result)
    target = f"{size:,} ids with results_path: each process peaks at most {PROCESS_LIMIT_MB:.0f} MB"
    if run is None:
        return TargetCheck(target, "not run", False, "the scenario did not run it")
    peaks = {
        "task runner": run.runner_mib,
        "supervisor": run.supervisor_mib,
        "API server": run.api_server_mib,
    }
    measured = ", ".join(
        f"{name} {'-' if mib is None else f'{mb(mib):.0f} MB'}" for name, mib in peaks.items()
    )
    over = [
        f"{name}: not measured" if mib is None else f"{name}: {mb(mib) - PROCESS_LIMIT_MB:.0f} MB over"
        for name, mib in peaks.items()
        if mib is None or mb(mib) > PROCESS_LIMIT_MB
    ]
    why = "; ".join(over)
    api = run.api_server_mib
    if api is not None and mb(api) > PROCESS_LIMIT_MB:
        why += _api_server_cause(result, run)
    return TargetCheck(target, measured, not over, why)


def _api_server_cause(result: OperatorResult, run: OperatorRun) -> str:
    """What the API server carried besides the operator's own XComs, from the figures of the runs."""
    own = sum(run.xcom_bytes.values())
    cause = (
        f". The operator's own XComs are {own:,} B; the API server also carries the upstream task's "
        f"{run.size:,} ids ({run.ids_xcom_bytes / 1e6:,.0f} MB of JSON in the XCom table), which the "
        "operator task pulls through it"
    )
    if run.upstream_api_server_mib is not None:
        cause += f": it reached {mb(run.upstream_api_server_mib):,.0f} MB while the upstream task pushed them"
    if run.api_server_start_mib is not None:
        cause += f", and held {mb(run.api_server_start_mib):,.0f} MB when the operator task started"
    files = [
        other
        for other in result.runs
        if other.mode == DEPLOYMENT and other.size == run.size and other.xcom_backend != run.xcom_backend
    ]
    if files and files[0].api_server_mib is not None:
        cause += (
            f". With the {files[0].xcom_backend} XCom backend, which keeps the ids in files too, the API "
            f"server peaked at {mb(files[0].api_server_mib):,.0f} MB at the same N"
        )
    return cause


def check_operators(result: OperatorResult) -> list[TargetCheck]:
    return [
        check_defaults(result),
        check_results_path_succeeds(result),
        check_results_path_time(result),
        check_results_path_memory(result),
    ]
