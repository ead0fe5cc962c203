"""The console script: a ready connection on stdout, Zoho's sample request served to curl, a clean stop.

The sample request is the one on Zoho's Remove Tags page (docs/zoho-facts.md, section 6).
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import SAMPLE_IDS

CONSOLE_SCRIPT = Path(sys.executable).parent / "bigin-sandbox"
ENV_PREFIX = "AIRFLOW_CONN_BIGIN_DEFAULT="


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    connection: dict[str, Any]


def _command(*args: str) -> list[str]:
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT), *args]
    return [sys.executable, "-m", "airflow_provider_bigin.sandbox", *args]


@pytest.fixture
def running() -> Iterator[Running]:
    process = subprocess.Popen(
        _command("--port", "0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith(ENV_PREFIX):
            break
    env_line = lines[-1]
    assert env_line.startswith(ENV_PREFIX), lines
    connection = json.loads(env_line.removeprefix(ENV_PREFIX))
    yield Running(process, connection["extra"]["api_domain"], connection)
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def _curl(*args: str) -> Any:
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--noproxy", "*", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_console_script_serves_the_seeds_sample_request_to_curl(running: Running) -> None:
    connection = running.connection
    assert connection["conn_type"] == "bigin"
    assert connection["extra"]["accounts_url"] == running.url.replace("localhost", "127.0.0.1")
    token = _curl(
        "-X", "POST", f"{running.url}/oauth/v2/token",
        "-d", "grant_type=refresh_token",
        "-d", f"client_id={connection['login']}",
        "-d", f"client_secret={connection['password']}",
        "-d", f"refresh_token={connection['extra']['refresh_token']}",
    )["access_token"]  # fmt: skip
    header = f"Authorization: Zoho-oauthtoken {token}"

    reply = _curl(
        "-X", "POST",
        f"{running.url}/bigin/v2/Contacts/actions/remove_tags?ids={','.join(SAMPLE_IDS)}&tag_names=From%20Email,In%20progress",
        "-H", header,
    )  # fmt: skip

    assert [(entry["code"], entry["details"]["id"]) for entry in reply["data"]] == [
        ("SUCCESS", SAMPLE_IDS[0]),
        ("SUCCESS", SAMPLE_IDS[1]),
    ]
    after = _curl(f"{running.url}/bigin/v2/Contacts/{SAMPLE_IDS[0]}", "-H", header)
    assert after["data"][0]["Tag"] == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_it_cleanly(running: Running, signum: signal.Signals) -> None:
    running.process.send_signal(signum)
    assert running.process.wait(timeout=15) == 0
    assert running.process.stderr is not None
    assert "Bigin sandbox stopped" in running.process.stderr.read()


def test_a_bad_option_exits_2_and_says_why() -> None:
    result = subprocess.run(
        _command("--faults", "sometimes"), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "unknown fault profile 'sometimes'" in result.stderr


def test_a_busy_port_exits_1_and_says_why() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            _command("--port", str(port)), capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
