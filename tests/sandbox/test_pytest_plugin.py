"""The pytest plugin, as a user's own suite meets it: fixtures available, state reset between tests, and a
temporary Airflow home for DAG tests that is gone afterwards, or a message saying why there is none."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = "airflow_provider_bigin.sandbox.pytest_plugin"

USER_TESTS = """
import requests

SAMPLE = "2445013000000402006"


def _remove(sandbox, tag):
    token = sandbox.fetch_access_token()
    return requests.post(
        f"{sandbox.url}/bigin/v2/Contacts/actions/remove_tags",
        params={"ids": SAMPLE, "tag_names": tag},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=30,
    )


def test_one_removes_a_tag(bigin_sandbox):
    assert _remove(bigin_sandbox, "From Email").status_code == 200
    assert bigin_sandbox.tags("Contacts", SAMPLE) == ["In Progress"]


def test_two_starts_from_the_seed_again(bigin_sandbox):
    assert bigin_sandbox.tags("Contacts", SAMPLE) == ["From Email", "In Progress"]
    assert bigin_sandbox.stats()["calls"] == {}


def test_three_builds_its_own_sandbox(bigin_sandbox_factory, bigin_sandbox):
    own = bigin_sandbox_factory(seed={"records": {"Contacts": [{"id": SAMPLE, "Tag": ["Solo"]}]}})
    assert own.url != bigin_sandbox.url
    assert own.tags("Contacts", SAMPLE) == ["Solo"]
"""


def test_a_users_suite_gets_reset_sandboxes_from_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_user_dag.py").write_text(textwrap.dedent(USER_TESTS))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "airflow_provider_bigin.sandbox.pytest_plugin",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


DAG_FILE = """
import pendulum
from airflow.sdk import DAG, task

with DAG("plugin_smoke", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:

    @task
    def hello():
        return "hello"

    hello()
"""

DAG_TESTS = """
import os
from pathlib import Path

from plugin_smoke import dag


def test_dag_runs_in_the_temporary_home(bigin_airflow_db, bigin_airflow_home):
    Path("seen-home.txt").write_text(str(bigin_airflow_home))
    assert bigin_airflow_db == f"sqlite:///{bigin_airflow_home}/airflow.db"
    assert Path(os.environ["BIGIN_TOKEN_CACHE_DIR"]).parent == bigin_airflow_home.parent
    assert dag.test().state == "success"
"""


def _run_user_suite(
    project: Path, *plugins: str, ini: str = "", env_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in ``project`` with only the given plugins, an empty HOME, and none of this suite's settings."""
    home = project / "home"
    home.mkdir(exist_ok=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW", "BIGIN_", "PYTEST_"))
    }
    env |= {"HOME": str(home), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if env_home is not None:
        env["AIRFLOW_HOME"] = str(env_home)
    if ini:
        (project / "pytest.ini").write_text(f"[pytest]\n{ini}\n")
    options = [arg for plugin in plugins for arg in ("-p", plugin)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _dag_project(tmp_path: Path) -> Path:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "plugin_smoke.py").write_text(DAG_FILE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_plugin_smoke.py").write_text(DAG_TESTS)
    return tmp_path


@pytest.mark.slow
def test_a_dag_test_gets_a_migrated_temporary_home_that_is_gone_afterwards(tmp_path: Path) -> None:
    project = _dag_project(tmp_path)
    done = _run_user_suite(project, PLUGIN)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    used = Path((project / "seen-home.txt").read_text())
    assert not used.parent.exists()  # home, database, logs and token cache: all removed
    assert list((project / "home").iterdir()) == []


def _home_only_project(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir(parents=True)
    (tmp_path / "tests" / "test_home.py").write_text("def test_home(bigin_airflow_home):\n    pass\n")
    return tmp_path


def test_without_the_temporary_home_the_fixture_says_why(tmp_path: Path) -> None:
    project = _home_only_project(tmp_path)
    done = _run_user_suite(project, PLUGIN, ini="bigin_airflow_home = false")
    assert done.returncode == 1
    assert "`bigin_airflow_home = false` in the pytest configuration" in done.stdout


def test_an_airflow_imported_by_an_earlier_plugin_is_named_as_the_cause(tmp_path: Path) -> None:
    project = _home_only_project(tmp_path)
    (project / "early_airflow.py").write_text("import airflow\n")
    done = _run_user_suite(project, "early_airflow", PLUGIN)
    assert done.returncode == 1
    assert "Airflow was imported before this plugin was loaded" in done.stdout


def test_an_airflow_home_the_user_exported_is_kept_unless_the_ini_takes_over(tmp_path: Path) -> None:
    own_home = tmp_path / "my-airflow"
    own_home.mkdir()
    taken = _run_user_suite(
        _home_only_project(tmp_path / "taken"), PLUGIN, ini="bigin_airflow_home = true", env_home=own_home
    )
    assert taken.returncode == 0, taken.stdout[-3000:]
    assert list(own_home.iterdir()) == []  # nothing written into the user's own home

    kept = _run_user_suite(_home_only_project(tmp_path / "kept"), PLUGIN, env_home=own_home)
    assert kept.returncode == 1  # the fixture of the temporary home says it was not made, and why
    assert f"AIRFLOW_HOME is set in the environment ({own_home})" in kept.stdout
    assert "`bigin_airflow_home = true` for a temporary one" in kept.stdout
