"""The Python API: connections, arranging state, knobs, process mode, and no secret in a repr."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from airflow_provider_bigin.sandbox import Sandbox, SandboxError
from tests.sandbox.conftest import SAMPLE_IDS, make_api


def test_connection_points_the_provider_at_the_sandbox_for_both_servers(bigin_sandbox: Sandbox) -> None:
    assert bigin_sandbox.connection() == {
        "conn_type": "bigin",
        "login": bigin_sandbox.client_id,
        "password": bigin_sandbox.client_secret,
        "extra": {
            "refresh_token": bigin_sandbox.refresh_token,
            "accounts_url": bigin_sandbox.url,
            "api_domain": bigin_sandbox.url,
        },
    }
    assert bigin_sandbox.url.startswith("http://127.0.0.1:")


def test_connection_json_and_env_carry_the_same_connection_with_overrides(bigin_sandbox: Sandbox) -> None:
    expected = bigin_sandbox.connection("readonly", timeout=5)
    assert expected["extra"]["timeout"] == 5
    assert json.loads(bigin_sandbox.connection_json("readonly", timeout=5)) == expected
    env = bigin_sandbox.connection_env("bigin_ci", client="readonly", timeout=5)
    assert list(env) == ["AIRFLOW_CONN_BIGIN_CI"]
    assert json.loads(env["AIRFLOW_CONN_BIGIN_CI"]) == expected
    assert list(bigin_sandbox.connection_env()) == ["AIRFLOW_CONN_BIGIN_DEFAULT"]


def test_every_configured_client_has_working_credentials(bigin_sandbox: Sandbox) -> None:
    assert bigin_sandbox.clients == ["default", "readonly", "noperm", "noprivilege"]
    assert len({bigin_sandbox.credentials(name)["client_id"] for name in bigin_sandbox.clients}) == 4
    for name in bigin_sandbox.clients:
        assert bigin_sandbox.fetch_access_token(name).startswith("1000.")
    with pytest.raises(SandboxError, match="unknown client 'nobody'"):
        bigin_sandbox.connection("nobody")


def test_reprs_show_no_secret(bigin_sandbox: Sandbox) -> None:
    from airflow_provider_bigin.sandbox.clients import DEFAULT_CLIENTS

    shown = repr(bigin_sandbox) + "".join(repr(client) for client in DEFAULT_CLIENTS)
    for client in DEFAULT_CLIENTS:
        assert client.client_secret not in shown
        assert client.refresh_token not in shown


def test_records_can_be_added_and_tags_set_for_a_test(bigin_sandbox: Sandbox) -> None:
    ids = bigin_sandbox.add_records(
        "Tasks", [{"Subject": "Ring back", "Tag": ["Urgent"]}, {"Subject": "Email"}]
    )
    assert [bigin_sandbox.records("Tasks")[i]["Subject"] for i in ids] == ["Ring back", "Email"]
    assert bigin_sandbox.tags("Tasks", ids[0]) == ["Urgent"]
    assert bigin_sandbox.set_tags("Tasks", ids[1], ["A", "urgent", "a"]) == ["A", "Urgent"]
    given = bigin_sandbox.add_records("Tasks", [{"id": "2445013000099999999", "Subject": "Fixed id"}])
    assert given == ["2445013000099999999"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda sb: sb.records("Deals"), "unknown module 'Deals'"),
        (lambda sb: sb.tags("Contacts", "1"), "no Contacts record 1"),
        (lambda sb: sb.add_records("Contacts", [{"id": "x1"}]), "must be a numeric string"),
        (lambda sb: sb.set_latency(-1), "latency_ms must not be negative"),
        (lambda sb: sb.set_max_concurrency(0), "at least 1"),
        (lambda sb: sb.issue_grant_code("nobody"), "unknown client"),
    ],
)
def test_control_mistakes_raise_sandbox_error_saying_why(
    bigin_sandbox: Sandbox, action: Any, message: str
) -> None:
    with pytest.raises(SandboxError, match=message):
        action(bigin_sandbox)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"latency_ms": -5}, "latency_ms"),
        ({"faults": {"5xx": 2}}, "between 0 and 1"),
        ({"grant_limit": 0}, "grant_limit"),
        ({"tags_report": "sometimes"}, "tags_report"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Sandbox(**options)


def test_a_sandbox_that_is_not_running_says_so() -> None:
    sandbox = Sandbox()
    with pytest.raises(SandboxError, match="not running"):
        _ = sandbox.url
    assert "not started" in repr(sandbox)


def test_process_mode_behaves_like_thread_mode(small_seed: dict[str, Any]) -> None:
    with Sandbox(process=True, seed=small_seed, grant_limit=3) as sandbox, requests.Session() as session:
        api = make_api(sandbox, session)
        assert api.remove_tags(SAMPLE_IDS, "From Email").status_code == 200
        assert sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]
        assert sandbox.stats()["calls"] == {"token": 1, "remove_tags": 1}
        assert [api.grant().json().get("error") for _ in range(3)] == [None, None, "Access Denied"]
        sandbox.reset()
        assert sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]
        url = sandbox.url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/__sandbox__/health", timeout=5)


def test_a_stopped_sandbox_frees_its_port_for_a_new_one(small_seed: dict[str, Any]) -> None:
    with Sandbox(seed=small_seed) as first:
        port = int(first.url.rsplit(":", 1)[1])
    with Sandbox(seed=small_seed, port=port) as second:
        assert second.url == f"http://127.0.0.1:{port}"


def test_attach_drives_a_sandbox_started_elsewhere_and_leaves_it_running(small_seed: dict[str, Any]) -> None:
    with Sandbox(process=True, seed=small_seed) as owner:  # as `bigin-sandbox` in another terminal
        with Sandbox.attach(owner.url + "/") as attached, requests.Session() as session:
            assert attached.url == owner.url
            assert "attached" in repr(attached)
            assert attached.connection() == owner.connection()
            assert make_api(attached, session).remove_tags(SAMPLE_IDS, "From Email").status_code == 200
            assert attached.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]
            attached.set_latency(5)
            assert attached.stats()["calls"]["remove_tags"] == 1
            attached.reset()
        with pytest.raises(SandboxError, match="not running"):
            _ = attached.url  # let go of ...
        assert owner.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]  # ... not stopped
        assert owner.stats()["calls"] == {}


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8790",
        "http://example.com:8790",
        "http://127.0.0.1",
        "http://127.0.0.1:8790/bigin/v2",
    ],
)
def test_attach_refuses_a_url_that_no_sandbox_listens_on(url: str) -> None:
    with pytest.raises(SandboxError, match=r"cannot attach to .* http://127\.0\.0\.1:PORT"):
        Sandbox.attach(url)


def test_attach_to_a_port_without_a_sandbox_says_to_start_one() -> None:
    with Sandbox() as gone:
        url = gone.url
    with pytest.raises(SandboxError, match=r"unreachable.*Is `bigin-sandbox` running there"):
        Sandbox.attach(url)
