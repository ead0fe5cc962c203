"""Counters (calls per endpoint, credits, grants, concurrency) and resets, over HTTP and the Python API."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import SAMPLE_IDS, Api

STATS_KEYS = {
    "requests",
    "calls",
    "status_codes",
    "faults",
    "token_grants",
    "access_denied",
    "credits",
    "concurrency_rejections",
    "max_concurrency_seen",
    "in_flight",
}


def test_every_endpoint_counts_under_its_own_name(api: Api) -> None:
    one = SAMPLE_IDS[0]
    api.remove_tags(SAMPLE_IDS, "X")
    api.post(f"/bigin/v2/Contacts/{one}/actions/remove_tags", params={"tag_names": "X"})
    api.post("/bigin/v2/Contacts/actions/add_tags", json={"tags": [{"name": "X"}], "ids": [one]})
    api.post(f"/bigin/v2/Contacts/{one}/actions/add_tags", json={"tags": [{"name": "Y"}]})
    api.get("/bigin/v2/settings/tags", params={"module": "Contacts"})
    api.post("/bigin/v2/settings/tags", params={"module": "Contacts"}, json={"tags": [{"name": "Z"}]})
    api.get("/bigin/v2/Contacts", params={"fields": "Email"})
    api.get(f"/bigin/v2/Contacts/{one}")
    api.get("/bigin/v2/settings/modules")
    api.session.post(f"{api.sandbox.url}/oauth/v2/token/revoke", params={"token": "1000.x.y"}, timeout=30)
    api.get("/bigin/v2/Contacts/actions/remove_tags")
    api.get("/no/such/path")

    assert api.sandbox.stats()["calls"] == {
        "token": 1,
        "remove_tags": 1,
        "remove_tags_one": 1,
        "add_tags": 1,
        "add_tags_one": 1,
        "get_tags": 1,
        "create_tags": 1,
        "get_records": 1,
        "get_record": 1,
        "modules": 1,
        "revoke": 1,
        "invalid_method": 1,
        "invalid_url": 1,
    }


def test_stats_over_http_match_the_python_api_and_control_calls_are_not_counted(api: Api) -> None:
    api.remove_tags(SAMPLE_IDS, "X")
    for _ in range(3):
        api.sandbox.tags("Contacts", SAMPLE_IDS[0])
    over_http = requests.get(f"{api.sandbox.url}/__sandbox__/stats", timeout=30).json()
    assert set(over_http) == STATS_KEYS
    assert over_http == api.sandbox.stats()
    assert over_http["requests"] == 2
    assert over_http["status_codes"] == {"200": 2}
    assert over_http["token_grants"] == 1


def test_credits_cost_one_per_call_and_scale_with_records_on_bulk_tag_calls(api: Api) -> None:
    ids = list(api.sandbox.records("Contacts"))
    api.get("/bigin/v2/Contacts", params={"fields": "Email"})
    assert api.sandbox.stats()["credits"] == 1
    api.remove_tags(ids[:50], "X")  # 1
    api.remove_tags(ids[:120], "X")  # 3
    api.remove_tags(ids[:500], "X")  # 10, the most one call costs
    api.post(f"/bigin/v2/Contacts/{ids[0]}/actions/remove_tags", params={"tag_names": "X"})  # 1
    assert api.sandbox.stats()["credits"] == 1 + 1 + 3 + 10 + 1


def test_refused_and_faulted_calls_cost_no_credits(api: Api) -> None:
    api.remove_tags(SAMPLE_IDS, "X", token="1000.bad.token")
    api.remove_tags(SAMPLE_IDS, "X", token=api.token_for("readonly"))
    api.remove_tags(list(api.sandbox.records("Contacts"))[:501], "X")
    api.sandbox.set_faults({"5xx": 1.0})
    api.remove_tags(SAMPLE_IDS, "X")
    assert api.sandbox.stats()["credits"] == 0


def test_reset_stats_zeroes_the_counters_and_keeps_the_state(api: Api) -> None:
    api.remove_tags([SAMPLE_IDS[0]], "From Email")
    api.sandbox.reset_stats()
    stats = api.sandbox.stats()
    assert (stats["requests"], stats["calls"], stats["credits"], stats["token_grants"]) == (0, {}, 0, 0)
    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["In Progress"]
    assert api.remove_tags(SAMPLE_IDS, "X").status_code == 200


def test_reset_returns_records_tokens_and_knobs_to_the_start(api: Api) -> None:
    api.remove_tags([SAMPLE_IDS[0]], "From Email")
    api.sandbox.add_records("Contacts", [{"Last_Name": "Temporary"}])
    api.sandbox.set_faults({"5xx": 1.0})
    api.sandbox.set_max_concurrency(1)
    api.sandbox.force_lockout()
    api.sandbox.reset()

    assert api.sandbox.tags("Contacts", SAMPLE_IDS[0]) == ["From Email", "In Progress"]
    assert "Temporary" not in {record.get("Last_Name") for record in api.sandbox.records("Contacts").values()}
    assert api.remove_tags(SAMPLE_IDS, "X").json()["code"] == "INVALID_TOKEN"
    fresh = api.token_for()
    assert api.remove_tags(SAMPLE_IDS, "X", token=fresh).status_code == 200
    assert api.sandbox.stats()["calls"] == {"remove_tags": 2, "token": 1}
