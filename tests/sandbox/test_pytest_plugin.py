"""The pytest plugin, as a user's own suite meets it: fixtures available, state reset between tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
