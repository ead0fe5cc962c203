from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from tests.dags.conftest import DAGS_DIR

DAG_FILES = sorted(path for path in DAGS_DIR.glob("*.py") if path.name != "__init__.py")


@pytest.fixture
def example_bag(airflow_db: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every example DAG, parsed as Airflow's DAG processor would."""
    # example_bigin_tag_changes takes its asset's host from bigin_default when the file is parsed.
    bigin_default = {
        "conn_type": "bigin",
        "login": "id",
        "password": "secret",
        "extra": {"refresh_token": "r"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_BIGIN_DEFAULT", json.dumps(bigin_default))
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3.2+
    except ImportError:
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]  # Airflow 3.1

    return DagBag(dag_folder=str(DAGS_DIR))  # examples stay out: the test AIRFLOW_HOME disables them


def test_every_example_dag_file_imports_without_errors(example_bag: Any) -> None:
    bag = example_bag
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {
        "example_bigin_add_tags",
        "example_bigin_data_quality",
        "example_bigin_large_run",
        "example_bigin_remove_tags",
        "example_bigin_tag_changes",
        "example_bigin_taskflow",
    }
    for dag_id in bag.dag_ids:
        dag = bag.get_dag(dag_id)
        assert dag.doc_md, f"{dag_id} does not say what it shows"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda path: path.name)
def test_example_dag_imports_nothing_from_airflow_2_apis(path: Path) -> None:
    """Airflow 3 moved the authoring API to airflow.sdk; the old core paths must not creep back in."""
    tree = ast.parse(path.read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    legacy = {"airflow.models", "airflow.decorators", "airflow.operators", "airflow.utils", "airflow.hooks"}
    assert not {name for name in imported if any(name == old or name.startswith(f"{old}.") for old in legacy)}
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"


def test_every_example_task_is_retried_after_a_delay_but_the_checks_that_stop_a_run_on_purpose(
    example_bag: Any,
) -> None:
    """The README leaves transient failures to Airflow's retries, which are 0 unless a DAG sets them."""
    from datetime import timedelta

    stop_on_purpose = {
        ("example_bigin_data_quality", "mirror_is_usable"),
        ("example_bigin_data_quality", "report"),
    }
    tag_tasks = 0
    for dag_id in example_bag.dag_ids:
        for task in example_bag.get_dag(dag_id).tasks:
            if (dag_id, task.task_id) in stop_on_purpose:
                assert task.retries == 0, f"{dag_id}.{task.task_id} would wait to fail again"
                continue
            assert task.retries >= 2, f"{dag_id}.{task.task_id} is never retried"
            assert task.retry_delay >= timedelta(minutes=1), f"{dag_id}.{task.task_id} retries at once"
            tag_tasks += task.task_type in ("RemoveTagsOperator", "AddTagsOperator")  # mapped ones too
    # The flagship's remove_tags and add_tags' tag_reviewed (both mapped), and one in each of three others.
    assert tag_tasks == 5
