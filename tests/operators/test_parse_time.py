"""What a DAG file's author learns when it is parsed, and the arguments a template may set at run time.

A literal that can never be right (a misspelt module, an empty tag list, an unknown policy) fails the DAG
file's import with the message the task would give; the same value behind a template waits for run time.
`bigin_conn_id` and `dry_run` are templated: a DAG can choose its connection and a dry run from its params.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_bigin.client.inputs import normalise_tag_names, resolve_module
from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.operators.partial_failure import check_partial_failure_policy
from airflow_provider_bigin.operators.tags import AddTagsOperator, RemoveTagsOperator
from tests.operators.conftest import dag_source


def _run_time_message(check: Any, value: Any) -> str:
    with pytest.raises(InvalidInputError) as raised:
        check(value)
    return str(raised.value)


def _import_errors(tmp_path: Path, source: str) -> list[str]:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow < 3.2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    path = tmp_path / "author_dag.py"
    path.write_text(textwrap.dedent(source))
    bag = DagBag(dag_folder=str(path))
    return [str(error) for error in bag.import_errors.values()]


@pytest.mark.parametrize(
    ("arguments", "check", "value"),
    [
        ('module="Contcts", tag_names="Hot"', resolve_module, "Contcts"),
        ('module="Contacts", tag_names=[]', normalise_tag_names, []),
        ('module="Contacts", tag_names=" , "', normalise_tag_names, " , "),
        ('module="Contacts", tag_names=["a,b"]', normalise_tag_names, ["a,b"]),
        ('module="Contacts", tag_names="Hot", on_partial_failure="warning"', None, "warning"),
    ],
    ids=["misspelt_module", "empty_tag_list", "blank_tag_string", "tag_with_comma", "unknown_policy"],
)
def test_a_literal_that_cannot_be_right_fails_when_the_dag_file_is_parsed_as_it_would_at_run_time(
    airflow_db: Path, tmp_path: Path, arguments: str, check: Any, value: Any
) -> None:
    source = dag_source(
        f"""
with DAG("author_dag", schedule=None, start_date=START):
    RemoveTagsOperator(task_id="untag", record_ids=["2445013000000402006"], {arguments})
"""
    )
    errors = _import_errors(tmp_path, source)
    if check is None:
        with pytest.raises(InvalidInputError) as raised:
            check_partial_failure_policy(value)
        message = str(raised.value)
    else:
        message = _run_time_message(check, value)
    assert len(errors) == 1, errors
    assert message in errors[0]


def test_templated_and_upstream_values_are_left_for_run_time(airflow_db: Path, tmp_path: Path) -> None:
    source = dag_source(
        """
with DAG("author_dag", schedule=None, start_date=START, params={"module": "Leads", "tag": "a,b"}):

    @task
    def tags():
        return []

    RemoveTagsOperator(task_id="templated", module="{{ params.module }}", record_ids=["1"], tag_names="x")
    RemoveTagsOperator(task_id="in_list", module="Contacts", record_ids=["1"], tag_names=["{{ params.tag }}"])
    AddTagsOperator(task_id="upstream", module="Contacts", record_ids=["1"], tag_names=tags())
    AddTagsOperator(task_id="mixed", module="Contacts", record_ids=["1"], tag_names=["Stale", tags()])
    RemoveTagsOperator(task_id="flag", module="Contacts", record_ids=["1"], tag_names="x", dry_run="{{ x }}")
"""
    )
    assert _import_errors(tmp_path, source) == []


def test_an_alias_is_still_accepted_when_parsed() -> None:
    operator = AddTagsOperator(task_id="alias", module="Deals", record_ids=["1"], tag_names="Hot")
    assert operator.module == "Deals"  # kept as given: the task resolves it and logs the v2 name


def test_connection_and_dry_run_are_templated_and_ids_render_as_json() -> None:
    assert {"bigin_conn_id", "is_dry_run"} <= set(RemoveTagsOperator.template_fields)
    assert RemoveTagsOperator.template_fields_renderers["record_ids"] == "json"
    with pytest.raises(InvalidInputError, match="dry_run must be True or False, not 'maybe'"):
        RemoveTagsOperator(task_id="t", module="Contacts", record_ids=["1"], tag_names="x", dry_run="maybe")


BODY = """
with DAG(
    "bigin_templated_flags",
    schedule=None,
    start_date=START,
    params={"dry_run": True, "conn": "bigin_default"},
) as dag:
    RemoveTagsOperator(
        task_id="untag",
        bigin_conn_id="{{ params.conn }}",
        dry_run="{{ params.dry_run }}",
        module="Contacts",
        record_ids=__IDS__,
        tag_names="Shape",
    )
"""


def test_params_choose_the_connection_and_a_dry_run(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str]
) -> None:
    ids = list(bigin_sandbox.records("Contacts"))[:2]
    source = dag_source(BODY, ids=ids)

    # The rendered "True" is read as the flag: nothing is sent, not even for a token.
    dry = run_dag(source, "bigin_templated_flags", env=operator_env)
    assert dry.state == "success"
    assert dry.xcom("untag", key="summary")["dry_run"] is True
    assert (bigin_sandbox.stats()["requests"], bigin_sandbox.stats()["token_grants"]) == (0, 0)

    # The rendered "False" is a real run, on the connection the params name.
    real = run_dag(source, "bigin_templated_flags", env=operator_env, run_conf={"dry_run": False})
    assert real.state == "success"
    summary = real.xcom("untag", key="summary")
    assert (summary["dry_run"], summary["requested"], summary["api_calls"]) == (False, 2, 1)
    assert bigin_sandbox.stats()["requests"] >= 1

    # The connection id renders before the hook is built: a run naming a missing one fails on that name.
    missing = run_dag(
        source,
        "bigin_templated_flags",
        env=operator_env,
        run_conf={"dry_run": "false", "conn": "bigin_nowhere"},
    )
    assert missing.state == "failed"
    assert missing.xcom_keys("untag") == set()
