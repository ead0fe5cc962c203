from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dags.conftest import REPO_ROOT

RULE_TAGS = ("Newsletter", "Marketing", "Hot Lead", "Follow-up")


def run_demo(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"HOME": str(home)} if home else {})}
    env = {name: value for name, value in env.items() if name != "BIGIN_TOKEN_CACHE_DIR"}  # the demo's own
    return subprocess.run(
        [sys.executable, "-m", "demo.run_demo", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def removed_per_tag(out: str) -> dict[str, tuple[int, int, int]]:
    """(before, after, removed) per line of the printed tag table."""
    rows = {}
    for line in out.splitlines():
        for tag in (*RULE_TAGS, "other tags"):
            if line.startswith(tag):
                before, after, removed = (int(n) for n in line.split()[-3:])
                rows[tag] = (before, after, removed)
    return rows


@pytest.mark.slow
def test_make_demo_driver_runs_end_to_end_and_prints_the_before_after_table(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = run_demo(home=home)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    steps = ("starting the Bigin sandbox", "building the warehouse mirror", "airflow dags test", "stopping")
    assert all(step in out for step in steps), out
    rows = removed_per_tag(out)
    for tag in RULE_TAGS:
        before, after, removed = rows[tag]
        assert before - after == removed > 0, tag
    assert rows["other tags"][2] == 0  # no tag outside the rules moved
    assert "token grants: 1;" in out
    assert "every other tag is untouched" in out
    assert list(home.rglob("*")) == []  # no token cache or lock file under ~/.cache, no ~/airflow


@pytest.mark.slow
def test_demo_exits_non_zero_naming_the_refused_rules_and_still_stops_the_sandbox() -> None:
    # A cap of 2% of each module refuses the two rules that flag more (60 contacts, 41 deals).
    done = run_demo("--conf", json.dumps({"max_share": 0.02}))
    kept = re.search(r"everything is kept in (\S+)\)", done.stderr)
    if kept:  # a failed demo keeps its files for the user to read; this one was meant to fail
        shutil.rmtree(kept.group(1), ignore_errors=True)

    assert done.returncode == 1, done.stdout[-3000:]
    assert "DEMO FAILED: the DAG run ended failed" in done.stderr
    assert "exceed max_records" in done.stderr  # the operator's own reason, from the task log
    rows = removed_per_tag(done.stdout)
    assert rows["Newsletter"][2] > 0  # the plausible rules still ran
    assert rows["Hot Lead"][2] == 0
    assert rows["Follow-up"][2] == 0
    assert "stopping the sandbox" in done.stdout
    assert kept is not None
