"""The wheel a user installs carries the whole provider and nothing of the development tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import airflow
import pytest

from tests.foundation.discovery import assert_discovered

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_the_package_and_no_development_files(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "airflow_provider_bigin/py.typed" in names
    assert "airflow_provider_bigin/hooks/bigin.py" in names
    assert "airflow_provider_bigin/operators/tags.py" in names
    assert any(name.startswith("airflow_provider_bigin/sandbox/") for name in names)
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    assert {name.split("/", 1)[0] for name in names} == {"airflow_provider_bigin", dist_info}
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "provider_info = airflow_provider_bigin:get_provider_info" in entry_points


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_virtualenv_is_discovered_by_airflow(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
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
    away = tmp_path / "elsewhere"
    away.mkdir()
    assert_discovered(str(python), tmp_path / "airflow-home", cwd=away)
