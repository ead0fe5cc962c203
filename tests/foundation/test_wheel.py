"""The wheel a user installs carries the whole provider and nothing of the development tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import airflow
import pytest

from tests.foundation.discovery import assert_discovered

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO_ROOT / "airflow_provider_bigin" / "example_dags"
EXAMPLE_DAG_IDS = sorted(path.stem for path in EXAMPLE_DAGS.glob("example_*.py"))

# Run in the fresh install, away from the tree: the folder the package's docstring names, parsed by DagBag.
_PARSE_INSTALLED_EXAMPLES = """
import json
import airflow_provider_bigin.example_dags as examples
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
folder = examples.__path__[0]
bag = DagBag(dag_folder=folder)
errors = {str(path): error for path, error in bag.import_errors.items()}
print(json.dumps({"folder": folder, "dag_ids": sorted(bag.dag_ids), "errors": errors}))
"""


@pytest.mark.slow
def test_wheel_carries_the_package_and_no_development_files(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "airflow_provider_bigin/py.typed" in names
    assert "airflow_provider_bigin/hooks/bigin.py" in names
    assert "airflow_provider_bigin/operators/tags.py" in names
    assert any(name.startswith("airflow_provider_bigin/sandbox/") for name in names)
    assert len(EXAMPLE_DAG_IDS) >= 6, EXAMPLE_DAG_IDS
    shipped = {f"airflow_provider_bigin/example_dags/{path.name}" for path in EXAMPLE_DAGS.glob("*.py")}
    assert "airflow_provider_bigin/example_dags/__init__.py" in shipped
    assert shipped <= set(names), shipped - set(names)
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    assert {name.split("/", 1)[0] for name in names} == {"airflow_provider_bigin", dist_info}
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "provider_info = airflow_provider_bigin:get_provider_info" in entry_points


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh virtualenv with the wheel installed under the shipped constraints."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    constraints = REPO_ROOT / "constraints" / f"airflow-{airflow.__version__}.txt"
    uv = Path(sys.executable).parent / "uv"
    install = ["pip", "install", "--quiet", "--python", str(python), "--constraint", str(constraints)]
    subprocess.run(
        [str(uv), *install, str(wheel)],
        check=True,
        timeout=600,
    )
    return python


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_virtualenv_is_discovered_by_airflow(installed: Path, tmp_path: Path):
    away = tmp_path / "elsewhere"
    away.mkdir()
    assert_discovered(str(installed), tmp_path / "airflow-home", cwd=away)


@pytest.mark.slow
def test_example_dags_of_a_fresh_install_parse_from_the_folder_the_package_names(
    installed: Path, tmp_path: Path
):
    """A user without the repository points Airflow at the installed examples, and every one imports."""
    # example_bigin_tag_changes reads its asset's host from bigin_default when parsed; no call is made.
    bigin_default = {"conn_type": "bigin", "login": "id", "password": "pw", "extra": {"refresh_token": "r"}}
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "PYTHON"))},
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_BIGIN_DEFAULT": json.dumps(bigin_default),
        "BIGIN_TOKEN_CACHE_DIR": str(tmp_path / "token-cache"),
    }
    done = subprocess.run(
        [str(installed), "-c", _PARSE_INSTALLED_EXAMPLES],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    venv = installed.parent.parent
    assert Path(parsed["folder"]).resolve().is_relative_to(venv.resolve()), parsed["folder"]
    assert parsed["errors"] == {}
    assert parsed["dag_ids"] == EXAMPLE_DAG_IDS
