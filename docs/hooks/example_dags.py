"""MkDocs hook: the build fails when an example DAG that the pages include does not import.

The how-to pages include their code from the example DAGs (pymdownx.snippets), so a DAG that no longer
parses would be documented as it stands. Before every build, every file of the folder named by `extra:
example_dags` in mkdocs.yml is parsed by Airflow's own DagBag, in a child process with a throw-away
AIRFLOW_HOME (nothing lands in ~/airflow), and any import error stops the build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

# Run in the child: DagBag moved in Airflow 3.2; its import errors are {file: traceback}.
_PARSE_EVERY_DAG = """
import json, sys
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag
# safe_mode=False: every file is imported, not only those that mention "airflow" and "dag".
bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)  # LOAD_EXAMPLES=False keeps Airflow's own out
errors = {str(path): error for path, error in bag.import_errors.items()}
print(json.dumps({"dag_ids": sorted(bag.dag_ids), "errors": errors}))
"""

# example_bigin_tag_changes reads its asset's host from bigin_default when parsed; no call is made.
_PARSE_TIME_CONNECTION = {
    "conn_type": "bigin",
    "login": "docs-build",
    "password": "docs-build",
    "extra": {"refresh_token": "docs-build"},
}


def example_dags_folder(config: MkDocsConfig) -> Path:
    """The folder mkdocs.yml names in `extra: example_dags`, relative to mkdocs.yml."""
    root = Path(config.config_file_path).parent
    return root / str(config.extra["example_dags"])


def parse_example_dags(folder: Path, root: Path) -> dict[str, Any]:
    """{"dag_ids": [...], "errors": {file: traceback}} as Airflow's DagBag reads `folder`.

    The child runs in `root`, the folder of mkdocs.yml, so that the tree's own modules import from there.
    """
    with tempfile.TemporaryDirectory(prefix="bigin-docs-airflow-home-") as home:
        env = {
            **os.environ,
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
            "AIRFLOW_CONN_BIGIN_DEFAULT": json.dumps(_PARSE_TIME_CONNECTION),
            "BIGIN_TOKEN_CACHE_DIR": home,
        }
        done = subprocess.run(  # noqa: S603  # this interpreter and a constant script
            [sys.executable, "-c", _PARSE_EVERY_DAG, str(folder)],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if done.returncode != 0:
        raise PluginError(f"parsing the example DAGs in {folder} failed:\n{done.stderr[-4000:]}")
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def on_pre_build(config: MkDocsConfig) -> None:
    """Stop the build on any example DAG that does not import."""
    folder = example_dags_folder(config)
    files = sorted(folder.glob("*.py"))
    if not files:
        raise PluginError(f"no example DAGs in {folder} (mkdocs.yml, extra: example_dags)")
    parsed = parse_example_dags(folder, Path(config.config_file_path).parent)
    if parsed["errors"]:
        details = "\n\n".join(f"{path}:\n{error}" for path, error in parsed["errors"].items())
        raise PluginError(f"example DAGs that do not import:\n{details}")
    if not parsed["dag_ids"]:
        raise PluginError(f"Airflow found no DAG in {folder}")
