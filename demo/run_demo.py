"""``make demo``: the flagship DAG, end to end and offline, against the bundled Bigin sandbox.

Starts the sandbox with its demo data, builds the warehouse mirror of the same records, sets up a throw-away
AIRFLOW_HOME (SQLite metadata database, connections as ``AIRFLOW_CONN_*`` variables, the token cache beside
it, never under ``~/.cache``), runs ``airflow dags test example_bigin_data_quality``, then prints what
changed in the CRM and what it cost. Every step says what it does; any failure exits non-zero; the sandbox
is always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from airflow_provider_bigin.sandbox import Sandbox
from demo.warehouse import WAREHOUSE_CONN_ID, build_warehouse, warehouse_connection_env

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO_ROOT / "airflow_provider_bigin" / "example_dags"
DAG_ID = "example_bigin_data_quality"
MIRRORED_MODULES = ("Contacts", "Pipelines")
RULE_TAGS = (
    ("Contacts", "Newsletter"),
    ("Contacts", "Marketing"),
    ("Contacts", "Hot Lead"),
    ("Pipelines", "Follow-up"),
)
TASK_LINE = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
ERROR_LINE = re.compile(r"^[\w.]+(Error|Exception): |\[error\s*\]")
TagSnapshot = dict[tuple[str, str], frozenset[str]]  # (module, record id) -> tags


class DemoError(RuntimeError):
    """A step failed; the message says which and where to look."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


@contextmanager
def timed(message: str) -> Iterator[None]:
    say(message)
    started = time.monotonic()
    yield
    print(f"    done in {time.monotonic() - started:.1f}s", flush=True)


def snapshot(sandbox: Sandbox) -> TagSnapshot:
    """Every mirrored record's tags, as the CRM holds them now."""
    return {
        (module, record_id): frozenset(tag["name"] for tag in record.get("Tag") or ())
        for module in MIRRORED_MODULES
        for record_id, record in sandbox.records(module).items()
    }


def airflow_env(home: Path, bigin_env: Mapping[str, str], warehouse: Path) -> dict[str, str]:
    """The environment of every Airflow command: a private home and token cache, the example DAGs, both
    connections."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "BIGIN_TOKEN_CACHE_DIR": str(home / "token-cache"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        **bigin_env,
        **warehouse_connection_env(warehouse, WAREHOUSE_CONN_ID),
    }


def run_airflow(
    args: Sequence[str],
    env: Mapping[str, str],
    log_path: Path,
    *,
    show_tasks: bool = False,
    check: bool = True,
) -> None:
    """Run one Airflow CLI command, its output to ``log_path``; a line per finished task if asked."""
    command = [sys.executable, "-m", "airflow", *args]
    with (
        log_path.open("w") as log,
        subprocess.Popen(  # noqa: S603 - this interpreter's own Airflow, with arguments from this file
            command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if show_tasks and (match := TASK_LINE.search(line)):
                task_id, map_index = match.groups()
                print(f"    finished {task_id}" + (f"[{map_index}]" if map_index != "-1" else ""), flush=True)
    if check and process.returncode != 0:
        raise DemoError(f"`airflow {' '.join(args)}` exited with {process.returncode}", log_path)


def read_run(metadata_db: Path) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    """The run's state, its task states and the report task's per-rule lines.

    The throw-away metadata database is SQLite: reading it with sqlite3 takes milliseconds, where importing
    Airflow here would take seconds and print its own start-up logs. XCom values are stored as JSON text.
    """
    with closing(sqlite3.connect(metadata_db)) as db:
        row = db.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC", (DAG_ID,)
        ).fetchone()
        if row is None:
            raise DemoError(
                "`airflow dags test` left no DAG run behind", metadata_db.parent.parent / "dags-test.log"
            )
        run_id, state = row
        states = {
            task_id + (f"[{map_index}]" if map_index >= 0 else ""): str(task_state)
            for task_id, map_index, task_state in db.execute(
                "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
                (DAG_ID, run_id),
            )
        }
        report = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = ?",
            (DAG_ID, run_id, "report", "return_value"),
        ).fetchone()
    return str(state), states, json.loads(report[0]) if report else []


def tag_counts(before: TagSnapshot, after: TagSnapshot) -> list[tuple[str, str, int, int]]:
    """(tag, module, records carrying it before, after) for each rule's tag, then every other tag at once."""

    def carrying(state: TagSnapshot, module: str, tag: str) -> int:
        return sum(1 for (mod, _), tags in state.items() if mod == module and tag in tags)

    def total(state: TagSnapshot) -> int:
        return sum(len(tags) for tags in state.values())

    rows = [
        (tag, module, carrying(before, module, tag), carrying(after, module, tag))
        for module, tag in RULE_TAGS
    ]
    others = (
        "other tags",
        "(all)",
        total(before) - sum(r[2] for r in rows),
        total(after) - sum(r[3] for r in rows),
    )
    return [*rows, others]


def print_tables(
    before: TagSnapshot, after: TagSnapshot, report: list[dict[str, Any]], stats: Mapping[str, Any]
) -> None:
    """Records carrying each rule's tag before and after, each rule's outcome, and what the run cost."""
    print(f"\n{'tag':<12} {'module':<10} {'before':>7} {'after':>7} {'removed':>8}")
    for tag, module, count_before, count_after in tag_counts(before, after):
        print(f"{tag:<12} {module:<10} {count_before:>7} {count_after:>7} {count_before - count_after:>8}")
    print(f"\n{'rule':<13} {'tag removed':<12} {'flagged':>7} {'done':>6} {'failed':>6} {'API calls':>9}")
    if not report:
        print("(no report: the run failed before its report task finished)")
    for line in report:
        print(
            f"{line['rule']:<13} {line['tag']:<12} {line['flagged']:>7} {line['succeeded']!s:>6} "
            f"{line['failed']!s:>6} {line['api_calls']!s:>9}"
        )
    calls = {name: count for name, count in stats.get("calls", {}).items() if name not in {"token", "revoke"}}
    by_endpoint = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
    print(
        f"\nBigin API calls: {sum(calls.values())} ({by_endpoint}); "
        f"token grants: {stats.get('token_grants')}; credits: {stats.get('credits')}\n"
    )


def verify(before: TagSnapshot, after: TagSnapshot, report: list[dict[str, Any]]) -> None:
    """The run may only have removed the rules' tags, and exactly as many as the rules flagged."""
    changed = {key: before[key] - after[key] for key in before if before[key] != after[key]}
    added = [key for key in before if after[key] - before[key]]
    if added:
        raise DemoError(f"{len(added)} records gained tags")
    stray = {tag for tags in changed.values() for tag in tags} - {tag for _, tag in RULE_TAGS}
    if stray:
        raise DemoError(f"tags outside the rules were removed: {sorted(stray)}")
    expected = sum(line["flagged"] for line in report)
    removed = sum(len(tags) for tags in changed.values())
    if removed != expected:
        raise DemoError(f"the rules flagged {expected} records but {removed} tags were removed")


def run_demo(workdir: Path, conf: str | None = None) -> None:
    with timed("starting the Bigin sandbox (Zoho Accounts + Bigin API on 127.0.0.1) with its demo data"):
        sandbox = Sandbox(process=True)
        sandbox.start()
    try:
        say(f"sandbox listening at {sandbox.url}")
        with timed(f"building the warehouse mirror of the same CRM records: {workdir / 'warehouse.db'}"):
            records = {module: list(sandbox.records(module).values()) for module in MIRRORED_MODULES}
            mirror = build_warehouse(workdir / "warehouse.db", records)
            print(f"    {mirror.contacts} contacts, {mirror.deals} deals, {mirror.tag_rows} tags, ", end="")
            print(f"{mirror.bounces} bounces")
        home = workdir / "airflow-home"
        home.mkdir()
        env = airflow_env(home, sandbox.connection_env(), mirror.path)
        with timed(f"creating a SQLite metadata database in a temporary AIRFLOW_HOME: {home}"):
            run_airflow(["db", "migrate"], env, workdir / "db-migrate.log")
        before = snapshot(sandbox)
        sandbox.reset_stats()
        log_path = workdir / "dags-test.log"
        with timed(f"running `airflow dags test {DAG_ID}` (task logs: {log_path})"):
            # A failed run exits non-zero too: the run's own state, read next, says what happened.
            args = ["dags", "test", DAG_ID, *(["--conf", conf] if conf else [])]
            run_airflow(args, env, log_path, show_tasks=True, check=False)
        with timed("reading the run's outcome back from the metadata database"):
            state, tasks, report = read_run(home / "airflow.db")
        say("what changed in the CRM, and what it cost")
        print_tables(before, snapshot(sandbox), report, sandbox.stats())
        if state != "success":
            failed = sorted(task for task, task_state in tasks.items() if task_state != "success")
            raise DemoError(f"the DAG run ended {state}; unsuccessful tasks: {', '.join(failed)}", log_path)
        verify(before, snapshot(sandbox), report)
        say("the tags are gone from exactly the records the rules flagged; every other tag is untouched")
    finally:
        with timed("stopping the sandbox"):
            sandbox.stop()


def error_lines(log_path: Path, limit: int = 12) -> list[str]:
    """The log's error lines (exceptions raised, errors logged), else its last lines."""
    lines = log_path.read_text(errors="replace").splitlines() if log_path.exists() else []
    errors = [line for line in lines if ERROR_LINE.search(line)]
    return (errors or lines)[-limit:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory afterwards")
    parser.add_argument("--conf", help="run configuration for the DAG, as JSON, e.g. '{\"dry_run\": true}'")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bigin-demo-"))
    started = time.monotonic()
    try:
        run_demo(workdir, args.conf)
    except DemoError as error:
        message, *where = error.args
        print(f"\nDEMO FAILED: {message}", file=sys.stderr)
        for log_path in where:
            print(f"--- errors in {log_path} ---", file=sys.stderr)
            print("\n".join(error_lines(Path(log_path))), file=sys.stderr)
        print(f"(everything is kept in {workdir})", file=sys.stderr)
        return 1
    if args.keep:
        say(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    say(f"demo finished in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
