"""The documentation build's own checks bite: each hook in docs/hooks/ fails or notes what it should.

The hooks are loaded from their files, as MkDocs loads them, and called on small inputs of this test's own:
a DAG folder with a file that does not import, a page including a heading that is not there, results.json
without the shared-cap scenario.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from mkdocs.exceptions import PluginError

REPO_ROOT = Path(__file__).resolve().parents[2]
HOOKS = REPO_ROOT / "docs" / "hooks"


def load_hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", HOOKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _config(root: Path, **extra: Any) -> Any:
    """The two things the hooks read of MkDocs' config."""
    return SimpleNamespace(
        config_file_path=str(root / "mkdocs.yml"), docs_dir=str(root / "docs"), extra=extra
    )


def test_an_example_dag_that_does_not_import_stops_the_build(tmp_path: Path) -> None:
    dags = tmp_path / "pkg" / "example_dags"  # a package folder below the root, as the real one
    dags.mkdir(parents=True)
    (dags / "example_ok.py").write_text(
        "import pendulum\nfrom airflow.sdk import DAG\n\n"
        "with DAG('example_ok', schedule=None, start_date=pendulum.datetime(2025, 1, 1)):\n    pass\n"
    )
    (dags / "example_broken.py").write_text(
        "from airflow_provider_bigin.operators.tags import NoSuchOperator\n"
    )
    hook = load_hook("example_dags")

    with pytest.raises(PluginError, match=r"example_broken\.py") as refused:
        hook.on_pre_build(_config(tmp_path, example_dags="pkg/example_dags"))
    assert "NoSuchOperator" in str(refused.value)

    (dags / "example_broken.py").unlink()
    hook.on_pre_build(_config(tmp_path, example_dags="pkg/example_dags"))  # the good one alone passes


def _page(src_path: str) -> Any:
    return SimpleNamespace(file=SimpleNamespace(src_path=src_path, src_uri=src_path))


def test_an_include_finds_its_heading_by_text_and_relinks_into_the_docs(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "facts.md").write_text("# Facts\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "README.md").write_text(
        "# Title\n\nintro\n\n## Start\n\nsee [the facts](../docs/facts.md#one)\n"
    )
    hook = load_hook("repo_includes")
    page = '<!-- include: pkg/README.md from "## Start" -->\n'

    text = hook.on_page_markdown(page, _page("guide/page.md"), _config(tmp_path), None)

    assert text.startswith("## Start\n")
    assert "intro" not in text
    assert "](../facts.md#one)" in text


@pytest.mark.parametrize(
    ("readme", "refusal"),
    [
        ("# Title\n\n## Begin\n", "has no line '## Start'"),
        ("## Start\n\n[the code](../pkg/module.py)\n", "not a page of the site"),
    ],
)
def test_an_include_of_a_missing_heading_or_a_link_off_the_site_stops_the_build(
    tmp_path: Path, readme: str, refusal: str
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "README.md").write_text(readme)
    hook = load_hook("repo_includes")

    with pytest.raises(PluginError, match=refusal):
        hook.on_page_markdown(
            '<!-- include: pkg/README.md from "## Start" -->\n', _page("page.md"), _config(tmp_path), None
        )


def test_charts_are_drawn_from_the_committed_results_and_a_missing_scenario_becomes_a_note() -> None:
    hook = load_hook("benchmark_charts")
    figures = json.loads((REPO_ROOT / "benchmarks" / "results.json").read_text())
    figures.pop("shared_cap", None)

    drawn = {name for name, _, _, draw in hook.CHARTS if draw(figures) is not None}
    text = hook.charts_markdown(figures, drawn)

    assert drawn == {"time-and-memory.svg", "calls-and-grants.svg"}
    assert "Not drawn: this run's results.json has no `shared_cap`" in text
    assert "](assets/charts/time-and-memory.svg)" in text

    figures["shared_cap"] = {
        "cap": 10,
        "floor_records_per_second": 100_000.0,
        "runs": [
            {"mode": mode, "concurrency": 96, "rejected": rejected, "records_per_second": 50_000.0}
            for mode, rejected in (("fixed", 900), ("adaptive", 40))
        ],
    }
    svg = hook.shared_cap(figures)
    assert svg is not None
    assert svg.lstrip().startswith("<?xml")
