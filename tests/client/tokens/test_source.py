"""Tokens against the sandbox: reuse, cold starts across processes, the budget lock-out, the 401 path."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest

from airflow_provider_bigin.client import FileTokenStore
from airflow_provider_bigin.client.tokens.grant import (
    DEFAULT_TOKEN_LIFETIME_SECONDS,
    AccessToken,
    parse_token_reply,
    token_lifetime_seconds,
)
from airflow_provider_bigin.client.tokens.source import forget_process_tokens
from airflow_provider_bigin.errors import TokenBudgetExceededError
from tests.client.conftest import MakeClient
from tests.reliability.odd_server import OddServer, Reply, TokenScript, relay_to

REPO_ROOT = Path(__file__).resolve().parents[2]

# A task process: waits for the start signal, then makes one authenticated call with a file token cache.
WORKER = """
import json, os, sys, time
from pathlib import Path
from airflow_provider_bigin.client import BiginClient
from airflow_provider_bigin.client import ClientSettings
from airflow_provider_bigin.client import FileTokenStore

config = json.loads(sys.stdin.readline())
Path(config["ready_dir"], str(os.getpid())).touch()
while not Path(config["go"]).exists():
    time.sleep(0.002)
connection = config["connection"]
client = BiginClient(
    ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra=connection["extra"]
    ),
    token_store=FileTokenStore(config["token_dir"]),
)
modules = client.list_modules()
print(json.dumps({"grants": client.tokens.grants, "modules": len(modules)}))
"""


def _run_processes(sandbox, count: int, token_dir: Path, work: Path) -> list[dict[str, int]]:
    """Start `count` worker processes, release them together once all are ready, return their reports."""
    ready, go = work / "ready", work / "go"
    ready.mkdir()
    config = {
        "connection": sandbox.connection(),
        "token_dir": str(token_dir),
        "ready_dir": str(ready),
        "go": str(go),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(json.dumps(config) + "\n")
        process.stdin.flush()
    deadline = time.monotonic() + 120
    while len(list(ready.iterdir())) < count:
        assert time.monotonic() < deadline, "workers did not start"
        assert all(process.poll() is None for process in processes), [p.stderr.read() for p in processes]
        time.sleep(0.01)
    go.touch()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@pytest.mark.slow
def test_twenty_processes_starting_together_make_at_most_two_grants(
    bigin_sandbox, token_dir: Path, tmp_path: Path
) -> None:
    reports = _run_processes(bigin_sandbox, 20, token_dir, tmp_path)
    assert all(report["modules"] > 0 for report in reports)
    grants = bigin_sandbox.stats()["token_grants"]
    assert grants == sum(report["grants"] for report in reports)
    assert 1 <= grants <= 2


def test_a_token_is_reused_across_processes_through_the_file_store(
    bigin_sandbox, make_client: MakeClient, token_dir: Path, tmp_path: Path
) -> None:
    make_client(bigin_sandbox).list_modules()
    assert bigin_sandbox.stats()["token_grants"] == 1
    reports = _run_processes(bigin_sandbox, 2, token_dir, tmp_path)
    assert [report["grants"] for report in reports] == [0, 0]
    assert bigin_sandbox.stats()["token_grants"] == 1


def test_a_token_is_reused_across_client_instances(bigin_sandbox, make_client: MakeClient) -> None:
    seen: list[list[str]] = [[], [], []]
    first = make_client(bigin_sandbox, on_new_token=seen[0].append)
    second = make_client(bigin_sandbox, on_new_token=seen[1].append)
    first.list_modules()
    second.list_modules()
    forget_process_tokens()  # a new task process on the same host: only the file store has the token
    third = make_client(bigin_sandbox, on_new_token=seen[2].append)
    third.list_modules()
    assert bigin_sandbox.stats()["token_grants"] == 1
    assert (first.tokens.grants, second.tokens.grants, third.tokens.grants) == (1, 0, 0)
    # Every client hands the token to on_new_token (mask_secret) once, whether minted or read.
    assert seen[0] == seen[1] == seen[2]
    assert len(seen[0]) == 1


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = bigin_sandbox.add_records("Contacts", [{"Last_Name": "x", "Tag": ["Old"]} for _ in range(6)])
    client = make_client(bigin_sandbox, max_ids_per_call=2)
    client.list_modules()
    bigin_sandbox.expire_access_tokens()
    bigin_sandbox.reset_stats()

    outcome = client.remove_tags("Contacts", ids, ["Old"])

    assert all(result.ok for result in outcome.results)
    assert bigin_sandbox.stats()["token_grants"] == 1  # three concurrent 401s, one new token
    assert outcome.summary.api_calls == bigin_sandbox.stats()["calls"]["remove_tags"]
    assert outcome.summary.retries == outcome.summary.api_calls - 3
    assert all(bigin_sandbox.tags("Contacts", record_id) == [] for record_id in ids)


def test_a_locked_out_refresh_token_raises_once_and_no_process_asks_again(
    bigin_sandbox, make_client: MakeClient
) -> None:
    bigin_sandbox.force_lockout()
    client = make_client(bigin_sandbox, lockout_wait_seconds=0.2)
    with pytest.raises(TokenBudgetExceededError, match=r"Try again after \d{4}-\d\d-\d\dT") as caught:
        client.list_modules()
    assert caught.value.retry_after_seconds > 600
    assert bigin_sandbox.stats()["calls"]["token"] == 1

    forget_process_tokens()  # another task process sharing the cache
    ids = bigin_sandbox.add_records("Contacts", [{"Last_Name": "x", "Tag": ["Old"]}])
    other = make_client(bigin_sandbox, lockout_wait_seconds=0.2)
    with pytest.raises(TokenBudgetExceededError) as again:
        other.remove_tags("Contacts", ids, ["Old"])
    assert bigin_sandbox.stats()["calls"]["token"] == 1  # the recorded lock-out kept it from asking
    assert again.value.outcome is not None
    assert not again.value.outcome.results[0].ok


def test_the_token_budget_is_never_hammered(bigin_sandbox_factory, make_client: MakeClient) -> None:
    sandbox = bigin_sandbox_factory(grant_limit=3, grant_window_seconds=600)
    client = make_client(sandbox, lockout_wait_seconds=0.1)
    for _ in range(3):
        client.list_modules()
        sandbox.expire_access_tokens()
    with pytest.raises(TokenBudgetExceededError):
        client.list_modules()
    for _ in range(5):
        with pytest.raises(TokenBudgetExceededError):
            client.list_modules()
    stats = sandbox.stats()
    assert stats["token_grants"] == 3
    assert stats["access_denied"] == 1
    assert stats["calls"]["token"] == 4


def test_a_store_token_minted_by_another_process_ends_a_lockout_wait(
    bigin_sandbox, make_client: MakeClient, token_dir: Path
) -> None:
    """A process locked out waits for, and uses, the token another process stored meanwhile."""
    import threading

    minted = make_client(bigin_sandbox, token_store=FileTokenStore(token_dir / "elsewhere"))
    minted.list_modules()  # a valid token, held elsewhere for now
    token_text = (token_dir / "elsewhere" / f"{minted.tokens.key}.json").read_text()
    forget_process_tokens()
    bigin_sandbox.force_lockout()
    waiting = make_client(bigin_sandbox, lockout_wait_seconds=30)
    store = FileTokenStore(token_dir)
    threading.Timer(0.5, store.write, args=(waiting.tokens.key, token_text)).start()
    assert waiting.list_modules()
    assert bigin_sandbox.stats()["access_denied"] == 1


# --- stated lifetimes cannot spend the budget ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        float("nan"),
        float("inf"),
        1e300,
        -5,
        0,
        "",
        "soon",
        True,
        [],
    ],
)
def test_a_lifetime_that_is_not_a_positive_finite_number_is_ignored_for_the_hour_with_a_warning(
    value: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_provider_bigin.client.tokens.grant"):
        assert token_lifetime_seconds({"expires_in": value}) == DEFAULT_TOKEN_LIFETIME_SECONDS
    assert "lifetime expires_in=" in caplog.text
    assert "ignored (an access token lives 3600 s)" in caplog.text


def test_a_bad_expires_in_sec_gives_way_to_a_good_expires_in() -> None:
    assert token_lifetime_seconds({"expires_in_sec": "Infinity", "expires_in": 1800}) == 1800


def test_no_token_is_stale_by_the_clock_within_sixty_seconds_of_its_minting() -> None:
    token = parse_token_reply(
        {"access_token": "x", "expires_in": 1}, accounts_url="http://127.0.0.1", now=1000.0
    )
    assert token.expires_at == 1001.0  # the stated lifetime is kept, only the clock's refresh waits
    assert token.is_fresh(300, now=1059.9)
    assert not token.is_fresh(300, now=1060.1)
    assert not AccessToken("x", None, expires_at=1001.0, issued_at=float("nan")).is_fresh(300, now=1000.5)


def _lying_about_the_lifetime(accounts_url: str, expires_in: object) -> TokenScript:
    """Grants minted by the sandbox (so its API takes them for an hour), whose reply states `expires_in`."""
    relay = relay_to(accounts_url)

    def script(form: dict[str, str], url: str) -> Reply:
        payload = json.loads(relay(form, url).body)
        return Reply.json({**payload, "expires_in": expires_in})

    return script


@pytest.mark.slow
@pytest.mark.parametrize("expires_in", [1, 0.001, "NaN"])
def test_two_hundred_calls_over_seconds_cost_one_grant_whatever_lifetime_the_reply_states(
    bigin_sandbox, make_client: MakeClient, expires_in: object
) -> None:
    with OddServer(token=_lying_about_the_lifetime(bigin_sandbox.url, expires_in)) as accounts:
        client = make_client(bigin_sandbox, extra={"accounts_url": accounts.url})
        started = time.monotonic()
        for _ in range(200):
            client.list_modules()
            time.sleep(0.01)
        assert time.monotonic() - started > 2  # long past every stated lifetime
        grants = (len(accounts.token_requests), bigin_sandbox.stats()["token_grants"])
        seconds = time.monotonic() - started
        print(f"expires_in={expires_in!r}: 200 calls in {seconds:.1f} s cost {grants[0]} grant(s)")
        assert grants == (1, 1)
        assert bigin_sandbox.stats()["calls"]["modules"] == 200

        # A minute on, the clock refreshes a token said to live 1 s (the floor is a minute, not forever);
        # one whose NaN lifetime was ignored lives the hour.
        later = time.time() + 61
        with mock.patch("airflow_provider_bigin.client.tokens.grant.time.time", return_value=later):
            client.list_modules()
        assert len(accounts.token_requests) == (1 if expires_in == "NaN" else 2)


def test_a_lockout_record_no_lockout_can_have_written_does_not_block_runs(
    bigin_sandbox, make_client: MakeClient, token_dir: Path
) -> None:
    client = make_client(bigin_sandbox, lockout_wait_seconds=0.1)
    for until in ("Infinity", 1e300, time.time() + 10 * 365 * 86400):
        FileTokenStore(token_dir).write(f"{client.tokens.key}__lockout", json.dumps({"until": until}))
        forget_process_tokens()
        FileTokenStore(token_dir).delete(client.tokens.key)
        assert client.list_modules()
    assert bigin_sandbox.stats()["token_grants"] == 3
