"""The console script: a connection line that a shell can run as pasted, an env file that a shell and docker
both read, Zoho's sample request served to curl, ``--version``, and a clean stop, even mid-request.

The sample request is the one on Zoho's Remove Tags page (docs/zoho-facts.md, section 6).
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from airflow_provider_bigin import __version__
from airflow_provider_bigin.sandbox.__main__ import export_line
from tests.sandbox.conftest import SAMPLE_IDS

CONSOLE_SCRIPT = Path(sys.executable).parent / "bigin-sandbox"
ENV_NAME = "AIRFLOW_CONN_BIGIN_DEFAULT"
EXPORT_PREFIX = f"export {ENV_NAME}="
# Outside CI a missing shell skips its cases; in CI (`make test` installs zsh) it fails them.
SHELLS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            shutil.which(name) is None and not os.environ.get("CI"), reason=f"{name} is not installed"
        ),
    )
    for name in ("bash", "zsh")
]
# What a user runs after exporting the line: the hook reads the connection and makes one authenticated call.
HOOK_CHECK = (
    "from airflow_provider_bigin.hooks.bigin import BiginHook; "
    "ok, message = BiginHook().test_connection(); print(ok, message)"
)


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    connection: dict[str, Any]
    export_line: str
    lines: list[str] = field(default_factory=list)


def _command(*args: str) -> list[str]:
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT), *args]
    return [sys.executable, "-m", "airflow_provider_bigin.sandbox", *args]


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def start_cli(*args: str, timeout: float = 60) -> Running:
    """The console script, read up to its connection line (within ``timeout``: a missing line fails)."""
    process = subprocess.Popen(
        _command("--port", "0", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not (seen and seen[-1].startswith(EXPORT_PREFIX)):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            stop_cli(process)
            pytest.fail(f"no `{EXPORT_PREFIX}...` line within {timeout} s; stdout so far: {seen}")
        seen.append(line)
    (_, assignment) = shlex.split(seen[-1])
    connection = json.loads(assignment.removeprefix(f"{ENV_NAME}="))
    return Running(process, connection["extra"]["api_domain"], connection, seen[-1], seen)


def stop_cli(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def running() -> Iterator[Running]:
    cli = start_cli()
    yield cli
    stop_cli(cli.process)


def _environment_without_the_connection() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != ENV_NAME}


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
    assert running.process.stderr.read().strip() == "Bigin sandbox stopped"


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


def test_the_connection_line_is_an_export_of_the_sandboxs_default_client(running: Running) -> None:
    assert running.export_line.startswith(f"{EXPORT_PREFIX}'{{")  # single-quoted JSON
    assert running.connection["conn_type"] == "bigin"
    assert running.connection["extra"]["accounts_url"] == running.url


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "value",
    [
        '{"conn_type":"bigin","extra":{"a":"b","c":"d"}}',  # brace expansion and quote removal broke this
        "it's $HOME `whoami` $(id) !! {a,b} * ~ \\ \" ; & | < >",
        "two\nlines\ttab",
    ],
)
def test_the_export_line_keeps_any_value_as_it_is_in_bash_and_zsh(shell: str, value: str) -> None:
    script = f"{export_line('BIGIN_QUOTING_CHECK', value)}\nprintf '%s' \"$BIGIN_QUOTING_CHECK\""
    done = subprocess.run([shell, "-c", script], capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == value


@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_the_printed_line_run_by_a_shell_gives_the_hook_a_working_connection(
    running: Running, shell: str
) -> None:
    script = f"{running.export_line}\nexec {shlex.quote(sys.executable)} -c {shlex.quote(HOOK_CHECK)}"
    done = subprocess.run(
        [shell, "-c", script],
        env=_environment_without_the_connection(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"True Connected to Bigin (US data centre, {running.url})" in done.stdout


@pytest.mark.slow
def test_the_env_file_is_read_alike_by_a_shell_and_by_dockers_env_file_format(tmp_path: Path) -> None:
    env_file = tmp_path / "bigin.env"
    cli = start_cli("--env-file", str(env_file))
    try:
        assert f"Connection written to {env_file}" in "\n".join(cli.lines)
        assert env_file.stat().st_mode & 0o077 == 0  # it holds the sandbox's client secret
        # docker run --env-file: NAME=VALUE lines taken literally, no quote removal, # lines are comments.
        (assignment,) = [line for line in env_file.read_text().splitlines() if not line.startswith("#")]
        name, _, literal = assignment.partition("=")
        assert name == ENV_NAME
        docker_like = {**_environment_without_the_connection(), ENV_NAME: literal}
        sourced = f"set -a; . {shlex.quote(str(env_file))}; set +a; exec {shlex.quote(sys.executable)} -c "
        for command, env in (
            ([sys.executable, "-c", HOOK_CHECK], docker_like),
            (["bash", "-c", sourced + shlex.quote(HOOK_CHECK)], _environment_without_the_connection()),
        ):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
            assert done.returncode == 0, done.stderr[-3000:]
            assert f"True Connected to Bigin (US data centre, {cli.url})" in done.stdout, command[0]
    finally:
        stop_cli(cli.process)


def test_version_names_the_package_version() -> None:
    done = subprocess.run(_command("--version"), capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"bigin-sandbox {__version__}"


def test_sigterm_with_a_request_in_flight_stops_without_a_traceback() -> None:
    cli = start_cli("--latency-ms", "20000", "--jitter-ms", "0")
    replies: queue.Queue[tuple[int, str]] = queue.Queue()

    def slow_token_request() -> None:
        request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
            f"{cli.url}/oauth/v2/token", data=b"grant_type=refresh_token"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as reply:
                replies.put((reply.status, reply.read().decode()))
        except urllib.error.HTTPError as error:
            replies.put((error.code, error.read().decode()))

    try:
        threading.Thread(target=slow_token_request, daemon=True).start()
        deadline = time.monotonic() + 30
        while _stats(cli.url)["requests"] < 1:  # then held by the 20 s latency
            assert time.monotonic() < deadline, "the slow request never reached the sandbox"
            time.sleep(0.05)
        cli.process.send_signal(signal.SIGTERM)
        assert cli.process.wait(timeout=15) == 0  # the grace period is 1 s, far below the 20 s latency
    finally:
        stop_cli(cli.process)
    assert cli.process.stderr is not None
    stderr = cli.process.stderr.read()
    assert "Traceback" not in stderr
    assert "ERROR" not in stderr
    assert stderr.strip() == "Bigin sandbox stopped (1 request in flight was answered 503)"
    status, body = replies.get(timeout=15)
    assert status == 503
    assert json.loads(body)["code"] == "SANDBOX_STOPPING"


def _stats(url: str) -> dict[str, Any]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/__sandbox__/stats", timeout=10) as reply:
        stats: dict[str, Any] = json.loads(reply.read())
        return stats
