"""The secrets audit (tests/secrets_audit.py) really looks: planted leaks are caught in every channel.

A check that never fires proves nothing, so each channel gets a real secret planted in it: secrets of a
sandbox started in another process, and an access token that sandbox minted.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from airflow_provider_bigin.errors import BiginError
from airflow_provider_bigin.sandbox import Sandbox
from tests.secrets_audit import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    EXCEPTION,
    LOG,
    LOG_FILE,
    REFRESH_TOKEN,
    RENDERED,
    XCOM,
    Audit,
    find_leaks,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PLANTED_CLIENT = {
    "name": "planted",
    "client_id": "1000.PLANTEDCLIENTFORTHEAUDIT0000000",
    "scope": "ZohoBigin.modules.ALL,ZohoBigin.settings.ALL",
}

PLANTING_DAG = """
import pendulum
from airflow.sdk import DAG, task

with DAG("planted_leaks", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

    @task
    def leak(note):
        return "__CLIENT_SECRET__"  # the return value is an XCom

    # The argument is a rendered template field (op_kwargs). Not named "token": Airflow masks such fields.
    leak(note="__ACCESS_TOKEN__")
"""


def _minted_shape() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def test_leaks_are_named_by_channel_and_kind_and_never_shown() -> None:
    client_secret, refresh_token, token = "s3cret-" + secrets.token_hex(8), _minted_shape(), _minted_shape()
    known = {client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN}
    material = [
        (LOG, "logger 'x'", f"grant with client_secret={client_secret} failed"),
        (XCOM, "dag/run/task", json.dumps({"refresh": refresh_token})),
        (RENDERED, "dag/run/task", f"Authorization: Zoho-oauthtoken {token}"),
        (EXCEPTION, "BiginError", "nothing secret here"),
    ]

    leaks = find_leaks(material, known)

    assert [(leak.channel, leak.kind) for leak in leaks] == [
        (LOG, CLIENT_SECRET),
        (XCOM, REFRESH_TOKEN),
        (RENDERED, ACCESS_TOKEN),  # unknown to the audit, found by the shape of a minted token
    ]
    for leak in leaks:
        for value in (client_secret, refresh_token, token):
            assert value not in str(leak)
            assert value[5:25] not in str(leak)  # nor a part of it
    assert "client_secret=<client secret> failed" in str(leaks[0])
    assert find_leaks(material, known, pardoned=frozenset({client_secret, refresh_token, token})) == []


def test_the_audit_catches_a_planted_leak_in_every_channel(
    secrets_audit: Audit, bigin_sandbox_factory: Any, run_dag: Any, airflow_home: Path
) -> None:
    client_secret, refresh_token = secrets.token_hex(21), _minted_shape()
    planted = {**PLANTED_CLIENT, "client_secret": client_secret, "refresh_token": refresh_token}
    # In another process: its minted tokens can only be known by their shape.
    sandbox: Sandbox = bigin_sandbox_factory(process=True, seed={"base": "empty", "clients": [planted]})
    token = sandbox.fetch_access_token("planted")

    logging.getLogger("tests.planted").debug("refreshing with %s", refresh_token)  # a log record at DEBUG
    BiginError(f"Zoho refused {token}")  # an exception text (never raised: creating it is enough)
    task_log = airflow_home / "logs" / "dag_id=planted" / "attempt=1.log"
    task_log.parent.mkdir(parents=True, exist_ok=True)
    task_log.write_text(f"client_secret={client_secret}\n")  # an Airflow task log file
    source = PLANTING_DAG.replace("__CLIENT_SECRET__", client_secret).replace("__ACCESS_TOKEN__", token)
    result = run_dag(source, "planted_leaks")  # an XCom and a rendered template field
    assert result.state == "success", result.task_states

    leaks = secrets_audit.scan()
    found = {(leak.channel, leak.kind) for leak in leaks}
    assert {
        (LOG, REFRESH_TOKEN),
        (EXCEPTION, ACCESS_TOKEN),
        (LOG_FILE, CLIENT_SECRET),
        (XCOM, CLIENT_SECRET),
        (RENDERED, ACCESS_TOKEN),
    } <= found, found
    assert all(value not in str(leak) for leak in leaks for value in (client_secret, refresh_token, token))
    secrets_audit.pardon(leaks)  # planted on purpose: this test must not fail for them
    task_log.unlink()


INNER_TESTS = """
import logging
import pytest

TOKEN = "__TOKEN__"
OTHER_TOKEN = "__OTHER_TOKEN__"

def test_clean():
    logging.getLogger("inner").warning("nothing to see")

def test_logs_a_token():
    logging.getLogger("inner").info("calling with %s", TOKEN)

def test_fails_with_a_token_in_its_message():
    assert TOKEN == "something else"

@pytest.mark.secrets_audit_exempt(
    reason="sends the token where Zoho's samples do", channels=("log", "test report")
)
def test_exempt_from_the_log_channel():
    logging.getLogger("inner").info("calling with %s", OTHER_TOKEN)
"""


def test_the_audit_fails_a_leaking_test_and_blanks_the_secret_out_of_its_report(tmp_path: Path) -> None:
    token, other_token = _minted_shape(), _minted_shape()
    inner = textwrap.dedent(INNER_TESTS).replace("__TOKEN__", token).replace("__OTHER_TOKEN__", other_token)
    (tmp_path / "test_inner.py").write_text(inner)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.secrets_audit", "-p", "no:cacheprovider", "-rA", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr

    assert run.returncode == 1, output[-3000:]
    leaked = token in output  # not in a failure text, not in a captured log: blanked out
    assert not leaked, "the leaking tests' token is in the inner run's output"
    assert other_token in output  # the exempt test's captured log (-rA) keeps it, as it asked
    assert "PASSED test_inner.py::test_clean" in output
    assert "PASSED test_inner.py::test_exempt_from_the_log_channel" in output
    assert "ERROR test_inner.py::test_logs_a_token" in output  # at teardown, by the audit
    assert "access token in log (logger 'inner' at INFO)" in output
    assert "FAILED test_inner.py::test_fails_with_a_token_in_its_message" in output
    assert "access token in test report (call failure text)" in output
    assert "<access token>" in output
