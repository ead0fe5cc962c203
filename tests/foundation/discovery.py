"""Asks an installed Airflow, through its CLI, what it knows of this provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from airflow_provider_bigin import __version__, connection_form


def _airflow_cli(
    *args: str, airflow_home: Path, python: str = sys.executable, cwd: Path | None = None
) -> Any:
    env = {**os.environ, "AIRFLOW_HOME": str(airflow_home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env.pop("AIRFLOW__CORE__DAGS_FOLDER", None)
    done = subprocess.run(
        [python, "-m", "airflow", *args, "-o", "json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(done.stdout)


def assert_discovered(python: str, airflow_home: Path, cwd: Path | None = None) -> None:
    """What `airflow providers get` and `airflow providers hooks` say about an installed provider."""
    (info,) = _airflow_cli("providers", "get", "airflow-provider-bigin", "--full", airflow_home=airflow_home,
                           python=python, cwd=cwd)  # fmt: skip
    assert info["package-name"] == "airflow-provider-bigin"
    assert info["versions"] == [__version__]
    assert [c["connection-type"] for c in info["connection-types"]] == [connection_form.CONN_TYPE]
    hooks = _airflow_cli("providers", "hooks", airflow_home=airflow_home, python=python, cwd=cwd)
    (bigin,) = [hook for hook in hooks if hook["connection_type"] == "bigin"]
    assert bigin["class"] == "airflow_provider_bigin.hooks.bigin.BiginHook"
    assert bigin["hook_name"] == "Zoho Bigin"
