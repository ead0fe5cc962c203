"""Zoho's variations, switched on in the sandbox: the client copes with each, and says so in the log.

INVALID_TOKEN with HTTP 400, a call refused for its URL length past N ids (414 or 400), and an Add Tags that
reads only the query parameters of Bigin's v1 Add Tags. Every record ends exactly once, none is lost.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy

FAST = RetryPolicy(max_attempts=4, initial_wait=0.005, max_wait=0.05, max_elapsed=10.0)


def client_for(sandbox: Any, **extra: Any) -> BiginClient:
    connection = sandbox.connection()
    settings = ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra={**connection["extra"], **extra}
    )
    return BiginClient(settings, token_store=MemoryTokenStore(), retry=FAST)


def warnings(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and needle in r.getMessage()
    ]


def tagged(sandbox: Any, count: int, tags: list[str]) -> list[str]:
    return list(sandbox.add_records("Contacts", [{"Last_Name": f"v{n}", "Tag": tags} for n in range(count)]))


def test_an_invalid_token_answered_with_400_is_refreshed_once_and_the_call_goes_through(
    bigin_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bigin_sandbox.set_faults({"invalid_token_status": 400})
    caplog.set_level(logging.WARNING)
    ids = tagged(bigin_sandbox, 3, ["Old", "Keep"])
    with client_for(bigin_sandbox) as client:
        client.remove_tags("Contacts", ids[:1], ["Old"])
        bigin_sandbox.expire_access_tokens()  # the cached token now gets 400 INVALID_TOKEN
        bigin_sandbox.reset_stats()
        outcome = client.remove_tags("Contacts", ids[1:], ["Old"])
    assert [result.code for result in outcome.results] == ["SUCCESS", "SUCCESS"]
    stats = bigin_sandbox.stats()
    assert stats["token_grants"] == 1
    assert stats["status_codes"] == {"400": 1, "200": 2}  # the refused call, the new grant, the call again
    assert [bigin_sandbox.tags("Contacts", record_id) for record_id in ids] == [["Keep"]] * 3
    # The re-send is a retry like any other: one WARNING line says why.
    resent = [
        r.getMessage() for r in caplog.records if "INVALID_TOKEN; dropping the access token" in r.getMessage()
    ]
    assert len(resent) == 1, resent
    assert "HTTP 400" in resent[0]


@pytest.mark.parametrize("status", [414, 400])
def test_calls_refused_for_their_url_length_are_halved_and_every_record_ends_once(
    bigin_sandbox: Any, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    bigin_sandbox.set_faults({"url_max_ids": 100, "url_too_long_status": status})
    ids = tagged(bigin_sandbox, 1_000, ["Old", "Keep"])
    caplog.set_level(logging.WARNING)
    with client_for(bigin_sandbox, max_concurrency=1) as client:
        outcome = client.remove_tags("Contacts", ids, ["Old"])

    assert [result.id for result in outcome.results] == ids
    assert {result.code for result in outcome.results} == {"SUCCESS"}
    assert outcome.summary.retries == 0  # a split is not a retry: each piece is sent once
    stats = bigin_sandbox.stats()
    # 500 -> 250 -> 125 -> 63 ids per call: three refusals, then 16 calls of at most 63 ids, each id once.
    assert stats["faults"] == {"url_too_long": 3}
    assert stats["status_codes"] == {str(status): 3, "200": 16 + 1}  # and the token grant
    assert outcome.summary.api_calls == 19
    lines = warnings(caplog, "for its URL length")
    assert len(lines) == 3, lines
    assert lines[0].startswith("batch 1/2: Bigin refused a call of 500 ids for its URL length (HTTP ")
    assert lines[-1].endswith("the run sends at most 63 ids per call from now on.")
    records = bigin_sandbox.records("Contacts")
    assert all([tag["name"] for tag in records[record_id]["Tag"]] == ["Keep"] for record_id in ids)


def test_add_tags_sends_the_json_body_and_the_sandbox_takes_it_without_a_fallback(
    bigin_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ids = tagged(bigin_sandbox, 600, [])
    caplog.set_level(logging.WARNING)
    with client_for(bigin_sandbox) as client:
        outcome = client.add_tags("Contacts", ids, ["Fresh"])
    assert {result.code for result in outcome.results} == {"SUCCESS"}
    assert bigin_sandbox.stats()["status_codes"] == {"200": 2 + 1}  # and the token grant
    assert warnings(caplog, "v1 Add Tags") == []


def test_add_tags_falls_back_once_to_v1s_query_parameters_and_keeps_them_for_the_run(
    bigin_sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bigin_sandbox.set_faults({"add_tags_v1_only": True, "url_max_ids": 250})
    ids = tagged(bigin_sandbox, 1_001, ["Keep"])  # two full calls and one to the single-record endpoint
    caplog.set_level(logging.WARNING)
    with client_for(bigin_sandbox, max_concurrency=1) as client:
        outcome = client.add_tags("Contacts", ids, ["Fresh", "Two words"])

    assert [result.id for result in outcome.results] == ids
    assert {result.code for result in outcome.results} == {"SUCCESS"}
    stats = bigin_sandbox.stats()
    # The JSON body once (refused), then v1's query form: 500 ids refused for the URL, 2 x 250, 2 x 250, 1.
    assert stats["calls"] == {"add_tags": 6, "add_tags_one": 1, "token": 1}
    assert stats["status_codes"] == {"400": 1, "414": 1, "200": 5 + 1}  # and the token grant
    fallback = warnings(caplog, "v1 Add Tags")
    assert len(fallback) == 1, fallback
    assert fallback[0].startswith("batch 1/3: Bigin answered Add Tags' JSON body as if tag_names or ids were")
    assert "HTTP 400 REQUIRED_PARAM_MISSING" in fallback[0]
    assert bigin_sandbox.tags("Contacts", ids[-1]) == ["Keep", "Fresh", "Two words"]
    assert bigin_sandbox.tags("Contacts", ids[0]) == ["Keep", "Fresh", "Two words"]
