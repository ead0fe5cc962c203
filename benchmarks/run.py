"""`python -m benchmarks.run [--quick] [--output PATH]`: every scenario in one run, then RESULTS.md.

The full run (N up to 100,000 for the ways side by side, a million for memory and the operator in Airflow,
50 ms latency, a cap of 10; 250 ms for the Zoho-like profile) rewrites benchmarks/RESULTS.md. The quick run is
the same code at toy sizes and low latency, for CI; it writes a report only where --output says. Beside
the report goes results.json, the same figures as data (benchmarks/results_json.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from benchmarks.conditions import FULL, QUICK, BenchConditions
from benchmarks.fanout import run_fanout
from benchmarks.import_cost import run_import_cost
from benchmarks.operator_runs import run_operators
from benchmarks.report import BenchResults, Environment, headline, render
from benchmarks.results_json import render_json
from benchmarks.shared_cap import run_shared_cap
from benchmarks.shared_cap_report import check_shared_cap
from benchmarks.tag_removal import run_tag_removal
from benchmarks.targets import check_all
from benchmarks.zoho_profile import run_zoho_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = REPO_ROOT / "benchmarks" / "RESULTS.md"


def source_revision() -> str:
    """The commit measured, "+ local changes" when the package differs from it; $BENCH_COMMIT in an export."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "airflow_provider_bigin", "benchmarks"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("BENCH_COMMIT", "unknown")
    return f"{commit} + local changes" if changed else commit


def environment() -> Environment:
    return Environment(
        revision=source_revision(),
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        python=platform.python_version(),
        airflow=version("apache-airflow"),
        http_provider=version("apache-airflow-providers-http"),
        platform=f"{platform.system()} {platform.machine()}",
        cpus=os.cpu_count() or 0,
    )


def _moved_during_run(measured: Environment) -> Environment:
    """The environment at the start; its revision says so when the source changed before the end."""
    now = source_revision()
    if now == measured.revision:
        return measured
    return dataclasses.replace(measured, revision=f"{measured.revision} (at the end: {now})")


def run_all(conditions: BenchConditions, *, progress: Callable[[str], None] = print) -> BenchResults:
    """Every scenario, one after the other, so that none competes with another for the CPUs."""
    started = time.perf_counter()
    measured = environment()  # the code measured is the code at the start
    # Airflow (HttpHook, the import probes) reads its home once: give it a throw-away one.
    with tempfile.TemporaryDirectory(prefix="bigin-bench-airflow-home-") as home:
        os.environ.setdefault("AIRFLOW_HOME", home)
        progress(f"1. removing tags ({conditions.name}: N = {', '.join(f'{n:,}' for n in conditions.sizes)})")
        tag_removal = run_tag_removal(conditions, progress=progress)
        progress(f"6. a Zoho-like profile: {conditions.zoho_latency_ms:g} ms at N = {conditions.zoho_size:,}")
        zoho = run_zoho_profile(conditions, progress=progress)
        progress(f"7. {conditions.shared_cap_tasks} task processes sharing one org's cap")
        shared_cap = run_shared_cap(conditions, progress=progress)
        progress(f"2. fan-out of {conditions.fanout_tasks} task processes")
        fanout = run_fanout(conditions, progress=progress)
        progress(f"3. import cost (median of {conditions.import_repeats})")
        imports = run_import_cost(conditions.import_repeats, progress=progress)
        sizes = ", ".join(f"{n:,}" for n in conditions.operator_sizes)
        progress(f"5. the operator in Airflow, N = {sizes}; 4. memory at {conditions.memory_ids:,} ids")
        operators = run_operators(conditions, progress=progress)
        memory = operators.memory()
    return BenchResults(
        conditions=conditions,
        environment=_moved_during_run(measured),
        tag_removal=tag_removal,
        fanout=fanout,
        imports=imports,
        memory=memory,
        operators=operators,
        zoho=zoho,
        shared_cap=shared_cap,
        targets=[
            *check_all(
                tag_removal, fanout=fanout, imports=imports, memory=memory, operators=operators, zoho=zoho
            ),
            *check_shared_cap(shared_cap),
        ],
        wall_seconds=time.perf_counter() - started,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="toy sizes and low latency, every scenario (CI)")
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the report (default: {RESULTS_PATH.name}; with --quick, nowhere)",
    )
    args = parser.parse_args(argv)
    conditions = QUICK if args.quick else FULL
    # Progress lines say enough; set here, not in run_all, which tests call and whose loggers are theirs.
    logging.getLogger("airflow_provider_bigin").setLevel(logging.WARNING)
    results = run_all(conditions)
    output = args.output or (None if args.quick else RESULTS_PATH)
    if output is not None:
        output.write_text(render(results), encoding="utf-8")
        figures = output.with_name("results.json")  # the same figures as data, for the docs' charts
        figures.write_text(render_json(results), encoding="utf-8")
        print(f"wrote {output} and {figures.name}")
    for line in headline(results):
        print(line)
    print(f"benchmark finished in {results.wall_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
