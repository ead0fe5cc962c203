"""Realism knobs: latency, the concurrency cap, and faults that are reproducible from a seed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from airflow_provider_bigin.sandbox import NAMED_PROFILES, FaultProfile
from airflow_provider_bigin.sandbox.faults import FaultPlan, fault_profile
from tests.sandbox.conftest import SAMPLE_IDS, Api

ORIGINAL_TAGS = ["From Email", "In Progress"]


def _in_parallel(count: int, call: Callable[[], requests.Response]) -> list[requests.Response]:
    """Send ``count`` calls at once (a barrier releases them together), each on its own connection."""
    barrier = threading.Barrier(count)
    replies: list[requests.Response] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        reply = call()
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


def _remove_on_new_connection(api: Api) -> Callable[[], requests.Response]:
    url = f"{api.sandbox.url}/bigin/v2/Contacts/actions/remove_tags"
    params = {"ids": SAMPLE_IDS[1], "tag_names": "Absent"}
    return lambda: requests.post(url, params=params, headers=api.headers(), timeout=30)


def test_latency_delays_each_api_call_by_at_least_its_floor(api: Api) -> None:
    api.sandbox.set_latency(150, jitter_ms=0)
    started = time.perf_counter()
    api.remove_tags(SAMPLE_IDS, "Absent")
    assert time.perf_counter() - started >= 0.15


def test_control_calls_are_never_delayed(api: Api) -> None:
    api.sandbox.set_latency(60_000)  # a delayed control call would outlast the harness's 30 s timeout
    assert api.sandbox.stats()["requests"] == 1


def test_concurrent_calls_raise_max_concurrency_seen(api: Api) -> None:
    api.sandbox.set_latency(300, jitter_ms=0)
    replies = _in_parallel(6, _remove_on_new_connection(api))
    assert {reply.status_code for reply in replies} == {200}
    assert api.sandbox.stats()["max_concurrency_seen"] >= 2


def test_calls_past_the_concurrency_cap_get_429_too_many_requests(api: Api) -> None:
    api.sandbox.set_latency(500, jitter_ms=0)
    api.sandbox.set_max_concurrency(2)
    replies = _in_parallel(8, _remove_on_new_connection(api))
    refused = [reply for reply in replies if reply.status_code == 429]
    assert refused
    assert len(refused) < 8
    assert refused[0].json()["code"] == "TOO_MANY_REQUESTS"
    assert "Retry-After" not in refused[0].headers
    stats = api.sandbox.stats()
    assert stats["concurrency_rejections"] == len(refused)
    assert stats["status_codes"]["429"] == len(refused)


def test_the_concurrency_cap_spares_the_token_endpoint(api: Api) -> None:
    api.sandbox.set_max_concurrency(1)
    api.sandbox.set_latency(300, jitter_ms=0)
    replies = _in_parallel(3, api.grant)
    assert all("access_token" in reply.json() for reply in replies)


@pytest.mark.parametrize(
    ("profile", "statuses"),
    [({"5xx": 1.0}, {500, 502, 503}), ({"429": 1.0}, {429})],
)
def test_error_faults_answer_without_applying_the_change(
    api: Api, profile: dict[str, float], statuses: set[int]
) -> None:
    api.sandbox.set_faults(profile, seed=3)
    replies = [api.remove_tags([SAMPLE_IDS[0]], "From Email") for _ in range(12)]
    assert {reply.status_code for reply in replies} <= statuses
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ORIGINAL_TAGS
    assert sum(api.sandbox.stats()["faults"].values()) == 12


def test_a_500_fault_has_zohos_body_and_gateway_faults_an_html_page(api: Api) -> None:
    api.sandbox.set_faults({"5xx": 1.0}, seed=3)
    by_status = {reply.status_code: reply for reply in (api.remove_tags(SAMPLE_IDS, "X") for _ in range(20))}
    assert by_status.keys() == {500, 502, 503}
    assert by_status[500].json()["code"] == "INTERNAL_ERROR"
    assert by_status[502].headers["content-type"].startswith("text/html")


def test_a_drop_closes_the_connection_with_no_reply_and_applies_nothing(api: Api) -> None:
    api.sandbox.set_faults({"drop": 1.0})
    with pytest.raises(requests.ConnectionError):
        api.remove_tags([SAMPLE_IDS[0]], "From Email")
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ORIGINAL_TAGS


def test_a_drop_after_applies_the_change_and_loses_the_reply(api: Api) -> None:
    api.sandbox.set_faults({"drop_after": 1.0})
    with pytest.raises(requests.ConnectionError):
        api.remove_tags([SAMPLE_IDS[0]], "From Email")
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]


def test_a_slow_reply_applies_the_change_and_outlasts_the_client_timeout(api: Api) -> None:
    api.sandbox.set_faults({"slow": 1.0, "slow_seconds": 5})
    with pytest.raises(requests.ReadTimeout):
        api.remove_tags([SAMPLE_IDS[0]], "From Email", timeout=0.5)
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]
    assert api.sandbox.stats()["faults"] == {"slow": 1}


def test_a_slow_reply_arrives_for_a_patient_client(api: Api) -> None:
    api.sandbox.set_faults({"slow": 1.0, "slow_seconds": 0.2})
    reply = api.remove_tags([SAMPLE_IDS[0]], "From Email")
    assert reply.status_code == 200
    assert reply.json()["data"][0]["status"] == "success"


def test_faults_spare_the_token_endpoint_unless_asked(api: Api) -> None:
    api.sandbox.set_faults({"5xx": 1.0})
    assert "access_token" in api.grant().json()
    api.sandbox.set_faults({"5xx": 1.0, "include_token_endpoint": True})
    assert api.grant().status_code in (500, 502, 503)


def test_control_endpoints_never_fault(api: Api) -> None:
    api.sandbox.set_faults({"drop": 1.0})
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ORIGINAL_TAGS
    assert api.sandbox.stats()["requests"] == 1  # the token grant of the fixture


def _outcomes(api: Api, count: int) -> list[Any]:
    outcomes: list[Any] = []
    for _ in range(count):
        try:
            outcomes.append(api.remove_tags([SAMPLE_IDS[1]], "Absent").status_code)
        except requests.ConnectionError:
            outcomes.append("dropped")
    return outcomes


def test_the_same_fault_seed_gives_the_same_faults_in_the_same_order(api: Api) -> None:
    api.sandbox.set_faults("flaky", seed=7)
    first = _outcomes(api, 60)
    api.sandbox.set_faults("flaky", seed=7)
    assert _outcomes(api, 60) == first
    assert set(first) - {200}, "a 60-call run of the flaky profile meets some faults"
    api.sandbox.set_faults("flaky", seed=8)
    assert _outcomes(api, 60) != first


def test_named_profiles_have_the_documented_shares() -> None:
    assert NAMED_PROFILES["flaky"].shares() == {
        "5xx": 0.10,
        "429": 0.05,
        "drop": 0.02,
        "drop_after": 0.0,
        "slow": 0.0,
    }
    assert NAMED_PROFILES["soak"].shares() == {
        "5xx": 0.15,
        "429": 0.10,
        "drop": 0.03,
        "drop_after": 0.0,
        "slow": 0.02,
    }
    assert not NAMED_PROFILES["none"].active


def test_fault_draws_follow_the_profile_shares() -> None:
    plan = FaultPlan(NAMED_PROFILES["soak"], seed=11)
    counts = Counter(plan.draw() for _ in range(20_000))
    for kind, share in NAMED_PROFILES["soak"].shares().items():
        assert abs(counts[kind] / 20_000 - share) < 0.01, (kind, counts[kind])


@pytest.mark.parametrize(
    "spec",
    ["5xx=0.1,drop=0.02", {"5xx": 0.1, "drop": 0.02}, '{"server_error": 0.1, "drop": 0.02}'],
)
def test_fault_profiles_parse_from_text_json_and_mappings(spec: Any) -> None:
    assert fault_profile(spec) == FaultProfile(server_error=0.1, drop=0.02)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sometimes", "unknown fault profile"),
        ({"5xx": 0.8, "429": 0.3}, "more than 1"),
        ({"5xx": -0.1}, "between 0 and 1"),
        ({"teapot": 0.1}, "unknown fault setting"),
    ],
)
def test_bad_fault_profiles_are_refused_with_a_clear_error(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fault_profile(spec)
