"""What the index shows of the package claims no more than CI tests, and the changelog names this version."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet

import airflow_provider_bigin

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
README = (ROOT / "README.md").read_text()


def _ci_table() -> list[tuple[str, str, str]]:
    """(Airflow, Python, suite) of every row of the README's "Tested in CI" table."""
    section = README.split("### Tested in CI", 1)[1]
    rows = re.findall(r"^\| (3\.\d+\.\d+) \| (3\.\d+) \| (whole|core) \|", section, flags=re.MULTILINE)
    assert rows, "the README's CI table has no rows"
    return rows


def _ci_legs() -> set[tuple[str, str, str]]:
    """(Airflow, Python, suite) of every `make test` leg that .ci/run runs."""
    script = (ROOT / ".ci" / "run").read_text().replace("\\\n", " ")
    # The commands only: no comments, and no leg names (which read like commands).
    script = re.sub(r"#[^\n]*", "", re.sub(r'"[^"\n]*"', '""', script))
    makefile = (ROOT / "Makefile").read_text()
    latest = re.search(r"^LATEST_AIRFLOW := (\S+)$", makefile, flags=re.MULTILINE)
    assert latest is not None
    legs = set()
    for line in re.findall(r"\bmake test\b[^\n]*", script):
        airflow = re.search(r"AIRFLOW_VERSION=(\S+)", line)
        python = re.search(r"PYTHON_VERSION=(\S+)", line)
        suite = re.search(r"SUITE=(\S+)", line)
        legs.add(
            (
                airflow.group(1) if airflow else latest.group(1),
                python.group(1) if python else "3.11",
                suite.group(1) if suite else "whole",
            )
        )
    return legs


def test_the_readme_table_is_exactly_what_ci_runs():
    assert set(_ci_table()) == _ci_legs()


def test_every_tested_airflow_line_has_its_constraints_and_no_other():
    lines = {airflow for airflow, _, _ in _ci_table()}
    pinned = {
        path.name.removeprefix("airflow-").removesuffix(".txt") for path in ROOT.glob("constraints/*.txt")
    }
    assert pinned == lines
    makefile = (ROOT / "Makefile").read_text()
    assert f"AIRFLOW_LINES := {' '.join(sorted(lines))}" in makefile


def test_classifiers_and_requires_python_claim_exactly_the_pythons_ci_tests():
    tested = {python for _, python, _ in _ci_table()}
    claimed = {
        classifier.rsplit(" :: ", 1)[1]
        for classifier in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    }
    assert claimed == tested
    allowed = SpecifierSet(PROJECT["requires-python"])
    for minor in range(8, 16):
        version = f"3.{minor}"
        assert (version in allowed) == (version in tested), version


def test_lowest_airflow_requirement_is_the_oldest_tested_line():
    oldest = min((airflow for airflow, _, _ in _ci_table()), key=lambda v: tuple(map(int, v.split("."))))
    (requirement,) = [dep for dep in PROJECT["dependencies"] if dep.startswith("apache-airflow")]
    assert requirement == f"apache-airflow>={'.'.join(oldest.split('.')[:2])},<4"


def test_project_urls_name_what_the_index_shows():
    urls = PROJECT["urls"]
    assert set(urls) == {"Documentation", "Source", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in urls.values())


def test_topic_classifiers_say_what_the_package_is_for():
    topics = {classifier for classifier in PROJECT["classifiers"] if classifier.startswith("Topic :: ")}
    assert "Topic :: Office/Business" in topics
    assert "Framework :: Apache Airflow :: Provider" in PROJECT["classifiers"]


def test_readme_links_and_images_are_absolute_so_they_work_on_the_index():
    targets = re.findall(r"\]\(([^)\s]+)\)", README) + re.findall(r'src="([^"]+)"', README)
    assert targets
    relative = [target for target in targets if not target.startswith(("https://", "#"))]
    assert relative == []


def test_changelog_has_a_section_per_version_and_the_newest_is_this_package():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, flags=re.MULTILINE)
    assert versions[0] == airflow_provider_bigin.__version__
    assert versions[-1] == "0.1.0"
    assert len(versions) == len(set(versions))
    assert "## [Unreleased]" not in changelog
    for version in versions:
        assert re.search(rf"^\[{re.escape(version)}\]: https://", changelog, flags=re.MULTILINE), version
