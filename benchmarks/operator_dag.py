"""The DAG the operator benchmarks run: an upstream task makes the ids, RemoveTagsOperator, a downstream pull.

One DAG file per way of returning the records (`VARIANTS`), all from one template, so that a deployment parses
them all once. A run's conf names how many ids and a `label`. The upstream task waits for
`<timings>/<label>.go`, which the benchmark writes once the sandbox's records carry their tags again, so that
restoring a million records overlaps Airflow's start-up instead of adding to it. The operator, a thin
subclass, writes the wall clock of its execute() to `<timings>/<label>.json` (what it costs to push the XCom
is the task's end minus that), and the results file of the results_path variant is `<results>/<label>.jsonl`.
The downstream task pulls `return_value` and `summary` and returns how long that took and what it got.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.seeding import FIRST_SERIAL, ID_PREFIX

PRODUCE_TASK = "produce_ids"
REMOVE_TASK = "remove_tags"
CONSUME_TASK = "consume"
GO_SUFFIX = ".go"
GO_TIMEOUT_SECONDS = 600

# Variant name -> the operator's arguments beyond module, ids and tags ("results_path" is added below).
VARIANTS: dict[str, dict[str, str]] = {
    "all": {"return_records": "all"},
    "failed": {"return_records": "failed"},
    "none": {"return_records": "none"},
    "auto": {},  # the defaults, as a DAG author who sets nothing gets them
    "results_path": {},  # the defaults plus a results file
}
RESULTS_PATH_VARIANT = "results_path"

_TEMPLATE = '''
from __future__ import annotations

import json
import time
from pathlib import Path

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_bigin.operators.tags import RemoveTagsOperator

TIMINGS_DIR = Path(__TIMINGS_DIR__)


class TimedRemoveTagsOperator(RemoveTagsOperator):
    """RemoveTagsOperator, its execute() timed by the wall clock for the benchmark."""

    def execute(self, context):
        started = time.time()
        try:
            return super().execute(context)
        finally:
            timing = {"execute_start": started, "execute_end": time.time()}
            label = context["params"]["label"]
            (TIMINGS_DIR / f"{label}.json").write_text(json.dumps(timing))


@task(task_id=__PRODUCE_TASK__, show_return_value_in_logs=False)
def produce_ids(params=None):
    go = TIMINGS_DIR / (params["label"] + __GO_SUFFIX__)
    deadline = time.monotonic() + __GO_TIMEOUT__
    while not go.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the benchmark never wrote {go}")
        time.sleep(0.05)
    prefix, first = __ID_PREFIX__, __FIRST_SERIAL__
    return [f"{prefix}{first + index:012d}" for index in range(int(params["ids"]))]


@task(task_id=__CONSUME_TASK__, show_return_value_in_logs=False)
def consume(ti=None):
    started = time.perf_counter()
    records = ti.xcom_pull(task_ids=__REMOVE_TASK__, key="return_value")
    summary = ti.xcom_pull(task_ids=__REMOVE_TASK__, key="summary")
    return {
        "pull_seconds": time.perf_counter() - started,
        "records": None if records is None else len(records),
        "summary": summary,
    }


with DAG(
    dag_id=__DAG_ID__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"ids": 10, "label": "run"},
):
    removed = TimedRemoveTagsOperator(
        task_id=__REMOVE_TASK__,
        module=__MODULE__,
        record_ids=produce_ids(),
        tag_names=__TAGS__,
        **__OPERATOR_ARGS__,
    )
    removed >> consume()
'''


def dag_id(variant: str) -> str:
    return f"bench_remove_tags_{variant}"


def operator_args(variant: str, results_dir: Path) -> dict[str, str]:
    args = dict(VARIANTS[variant])
    if variant == RESULTS_PATH_VARIANT:
        # Templated, as a DAG author would write it: one file per run.
        args["results_path"] = results_dir.as_uri() + "/{{ params.label }}.jsonl"
    return args


def dag_source(
    variant: str, *, module: str, tags: tuple[str, ...], timings_dir: Path, results_dir: Path
) -> str:
    values = {
        "DAG_ID": dag_id(variant),
        "TIMINGS_DIR": str(timings_dir),
        "PRODUCE_TASK": PRODUCE_TASK,
        "REMOVE_TASK": REMOVE_TASK,
        "CONSUME_TASK": CONSUME_TASK,
        "GO_SUFFIX": GO_SUFFIX,
        "GO_TIMEOUT": GO_TIMEOUT_SECONDS,
        "ID_PREFIX": ID_PREFIX,
        "FIRST_SERIAL": FIRST_SERIAL,
        "MODULE": module,
        "TAGS": list(tags),
        "OPERATOR_ARGS": operator_args(variant, results_dir),
    }
    source = _TEMPLATE
    for name, value in values.items():
        source = source.replace(f"__{name}__", json.dumps(value))
    return source


def write_dags(
    folder: Path,
    *,
    module: str,
    tags: tuple[str, ...],
    timings_dir: Path,
    results_dir: Path,
    variants: tuple[str, ...] = tuple(VARIANTS),
) -> dict[str, Path]:
    """The DAG file of each variant in `folder`; returns the file of each variant."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for variant in variants:
        path = folder / f"{dag_id(variant)}.py"
        path.write_text(
            dag_source(variant, module=module, tags=tags, timings_dir=timings_dir, results_dir=results_dir),
            encoding="utf-8",
        )
        files[variant] = path
    return files
