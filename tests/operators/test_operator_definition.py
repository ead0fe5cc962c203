"""What a DAG author meets at parse time: cheap imports, no I/O, arguments checked, the documented surface."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.operators.tags import AddTagsOperator, BiginTagsOperator, RemoveTagsOperator

ARGS: dict[str, Any] = {"module": "Contacts", "record_ids": ["1"], "tag_names": ["T"]}


@pytest.mark.parametrize("operator", [RemoveTagsOperator, AddTagsOperator])
def test_both_operators_share_the_base_and_its_template_fields(operator: type[BiginTagsOperator]) -> None:
    assert issubclass(operator, BiginTagsOperator)
    fields = (
        "module",
        "record_ids",
        "tag_names",
        "bigin_conn_id",
        "is_dry_run",
        "return_records",
        "results_path",
    )
    assert operator.template_fields == fields
    assert operator.ui_color
    doc = operator.__doc__ or ""
    for name in fields:  # dry_run is kept as is_dry_run: BaseOperator.dry_run() is a method
        assert f":param {name.removeprefix('is_')}:" in doc
    assert "(templated)" in doc
    assert ":return:" in doc
    assert ".. code-block:: python" in doc


def test_init_touches_no_connection_and_builds_no_client() -> None:
    task = RemoveTagsOperator(task_id="t", bigin_conn_id="no_such_connection", **ARGS)
    assert "hook" not in task.__dict__
    assert task.bigin_conn_id == "no_such_connection"
    assert task.on_partial_failure == "fail"
    assert task.is_dry_run is False
    assert callable(task.dry_run)  # BaseOperator.dry_run() is not shadowed by the dry_run argument


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("on_partial_failure", "explode", "on_partial_failure"),
        ("max_records", -1, "max_records"),
        ("max_records", True, "max_records"),
        ("max_records", 2.5, "max_records"),
        ("dry_run", "yes", "dry_run"),
        ("skip_when_empty", 1, "skip_when_empty"),
        ("max_concurrency", 0, "max_concurrency"),
        ("request_retries", -1, "request_retries"),
    ],
)
def test_static_arguments_are_checked_when_the_dag_is_parsed(argument: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        AddTagsOperator(task_id="t", **ARGS, **{argument: value})


def test_max_records_zero_is_a_valid_guard() -> None:
    assert RemoveTagsOperator(task_id="t", max_records=0, **ARGS).max_records == 0


def test_importing_the_operators_loads_neither_the_hook_nor_the_client_nor_requests() -> None:
    code = (
        "import sys, airflow_provider_bigin.operators.tags; "
        "print(sorted(m for m in ('requests', 'airflow_provider_bigin.client.bigin', "
        "'airflow_provider_bigin.client.transport', 'airflow_provider_bigin.hooks.bigin', "
        "'airflow_provider_bigin.client.tokens.source') if m in sys.modules))"
    )
    reply = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert reply.stdout.strip().splitlines()[-1] == "[]"
