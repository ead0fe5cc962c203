from __future__ import annotations

import subprocess
import sys

import pytest

from tests.dags.conftest import REPO_ROOT

RULE_TAGS = ("Newsletter", "Marketing", "Hot Lead", "Follow-up")


@pytest.mark.slow
def test_make_demo_driver_runs_end_to_end_and_prints_the_before_after_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demo.run_demo"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    steps = ("starting the Bigin sandbox", "building the warehouse mirror", "airflow dags test", "stopping")
    assert all(step in out for step in steps), out
    lines = out.splitlines()
    for tag in RULE_TAGS:
        before, after, removed = (
            int(n) for n in next(line for line in lines if line.startswith(tag)).split()[-3:]
        )
        assert before - after == removed > 0, tag
    other = next(line for line in lines if line.startswith("other tags")).split()[-3:]
    assert other[0] == other[1]  # no tag outside the rules moved
    assert other[2] == "0"
    assert "token grants: 1;" in out
    assert "every other tag is untouched" in out
