"""A new user's project, built from the docs alone: the wheel, Airflow with the shipped constraints, pytest,
and the DAG and test file of the sandbox page's "Testing your DAGs", in a virtualenv of its own.

The files are cut out of docs/sandbox.md and README.md (its first DAG) between ``<!-- user-project: PATH -->``
and ``<!-- /user-project -->``; a file both show must be the same in both, so neither can drift from what
passes here. pytest runs with ``HOME`` pointed at an empty directory, which
must stay empty: no ``~/airflow``, no token cache or lock file under ``~/.cache``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import airflow
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(
    r"<!-- user-project: (?P<path>\S+) -->\n```python\n(?P<source>.*?)```\n<!-- /user-project -->", re.DOTALL
)
INSTALL_TIMEOUT_SECONDS = 900  # a cold cache downloads Airflow's whole dependency tree
PYTEST_TIMEOUT_SECONDS = 600


DOCUMENTS = ("docs/sandbox.md", "README.md")


def project_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for document in DOCUMENTS:
        found = {m["path"]: m["source"] for m in BLOCK.finditer((REPO_ROOT / document).read_text())}
        assert found, f"{document} has no <!-- user-project: PATH --> blocks"
        for path, source in found.items():
            assert files.setdefault(path, source) == source, f"{path} differs in {document}"
    return files


def test_the_docs_hold_a_dag_and_a_test_for_it() -> None:
    files = project_files()
    assert any(path.startswith("dags/") for path in files), files
    assert any(path.startswith("tests/test_") for path in files), files


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + PYTEST_TIMEOUT_SECONDS + 60)
def test_a_project_written_from_the_docs_passes_its_tests_and_leaves_home_untouched(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    constraints = REPO_ROOT / "constraints" / f"airflow-{airflow.__version__}.txt"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=60)
    # The sandbox's server comes with its extra, as the sandbox page says to install it.
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), "--constraint", str(constraints),
         f"airflow-provider-bigin[sandbox] @ {wheel.as_uri()}", f"apache-airflow=={airflow.__version__}",
         "pytest"],
        check=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )  # fmt: skip

    project = tmp_path / "project"
    for path, source in project_files().items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(source)
    home = tmp_path / "home"
    home.mkdir()
    # Nothing of this suite's environment (its AIRFLOW_HOME, token cache, pytest options) reaches the user's.
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}{os.defpath}", "HOME": str(home), "LANG": "C.UTF-8"}
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=PYTEST_TIMEOUT_SECONDS,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout[-2000:]
    assert sorted(str(path.relative_to(home)) for path in home.rglob("*")) == []
