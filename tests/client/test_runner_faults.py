"""Under the sandbox's fault profiles, runs end exactly as they would without faults."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.client import RetryPolicy
from airflow_provider_bigin.client.results import SERVER_ERROR
from tests.client.conftest import MakeClient

TAGS = ["Stale", "Bounced"]


def _arrange(sandbox, count: int) -> list[str]:
    """`count` records carrying TAGS and "Keep", plus one unknown id in every 1,000, in a fixed order."""
    ids = sandbox.add_records(
        "Contacts", [{"Last_Name": f"r{n}", "Tag": [*TAGS, "Keep"]} for n in range(count)]
    )
    mixed: list[str] = []
    for position, record_id in enumerate(ids):
        mixed.append(record_id)
        if position % 1000 == 0:
            mixed.append(str(8_000_000_000_000_000_000 + position))  # no such record
    return mixed


def _outcome_keys(outcome) -> list[tuple[str, str, str]]:
    return [(result.id, result.status, result.code) for result in outcome.results]


@pytest.mark.slow
def test_fifty_thousand_ids_under_flaky_faults_end_as_without_faults(
    bigin_sandbox_factory, make_client: MakeClient
) -> None:
    clean = bigin_sandbox_factory()
    flaky = bigin_sandbox_factory(faults="flaky", fault_seed=7)
    clean_ids = _arrange(clean, 50_000)
    flaky_ids = _arrange(flaky, 50_000)

    expected = make_client(clean, extra={"max_concurrency": 8}).remove_tags("Contacts", clean_ids, TAGS)
    flaky.reset_stats()
    outcome = make_client(flaky, extra={"max_concurrency": 8}).remove_tags("Contacts", flaky_ids, TAGS)

    faults = flaky.stats()["faults"]
    assert sum(faults.values()) > 0, faults  # the profile really bit
    assert outcome.summary.retries > 0
    # Same ids sent, same per-record results, same counts.
    assert clean_ids == flaky_ids
    assert _outcome_keys(outcome) == _outcome_keys(expected)
    assert (outcome.summary.requested, outcome.summary.succeeded, outcome.summary.failed) == (
        expected.summary.requested,
        expected.summary.succeeded,
        expected.summary.failed,
    )
    assert outcome.summary.succeeded + outcome.summary.failed == outcome.summary.requested == len(flaky_ids)
    # Every HTTP request to the tag endpoints is counted, and only those.
    calls = flaky.stats()["calls"]
    assert outcome.summary.api_calls == calls.get("remove_tags", 0) + calls.get("remove_tags_one", 0)
    # The outcome matches the sandbox's state record by record.
    records = flaky.records("Contacts")
    for result in outcome.results:
        if result.ok:
            assert [tag["name"] for tag in records[result.id]["Tag"]] == ["Keep"], result
        else:
            assert (result.code, result.id in records) == ("INVALID_DATA", False), result


def test_lost_replies_are_resent_without_counting_a_record_twice(
    bigin_sandbox_factory, make_client: MakeClient
) -> None:
    sandbox = bigin_sandbox_factory(faults={"drop_after": 0.3, "drop": 0.1}, fault_seed=3)
    ids = _arrange(sandbox, 2_000)
    outcome = make_client(sandbox, max_ids_per_call=100).remove_tags("Contacts", ids, TAGS)
    assert outcome.summary.retries > 0
    assert len(outcome.results) == len(set(ids)) == outcome.summary.requested
    assert outcome.summary.failed == 2  # the two unknown ids (positions 0 and 1000), nothing else
    records = sandbox.records("Contacts")
    assert all([t["name"] for t in records[r.id]["Tag"]] == ["Keep"] for r in outcome.results if r.ok)


def test_transient_failures_that_outlast_retries_become_per_record_failures(
    bigin_sandbox_factory, make_client: MakeClient
) -> None:
    sandbox = bigin_sandbox_factory(faults={"5xx": 1.0})
    ids = sandbox.add_records("Contacts", [{"Last_Name": "x", "Tag": ["Old"]} for _ in range(5)])
    policy = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.01)
    outcome = make_client(sandbox, retry=policy, max_ids_per_call=2).remove_tags("Contacts", ids, ["Old"])
    assert [result.code for result in outcome.results] == [SERVER_ERROR] * 5
    assert all(result.details["may_have_applied"] for result in outcome.results)
    assert "running again is safe" in outcome.results[0].message
    assert outcome.summary.api_calls == 3 * 3
    assert outcome.summary.retries == 2 * 3


def test_replies_slower_than_the_read_timeout_are_retried_and_end_right(
    bigin_sandbox_factory, make_client: MakeClient
) -> None:
    sandbox = bigin_sandbox_factory(faults={"slow": 0.3, "slow_seconds": 1.5}, fault_seed=5)
    ids = _arrange(sandbox, 1_000)
    client = make_client(sandbox, extra={"timeout": 0.5}, max_ids_per_call=100)
    outcome = client.remove_tags("Contacts", ids, TAGS)
    assert sandbox.stats()["faults"].get("slow", 0) > 0
    assert outcome.summary.retries > 0
    assert outcome.summary.failed == 1  # the unknown id at position 0, nothing else
    records = sandbox.records("Contacts")
    assert all([t["name"] for t in records[r.id]["Tag"]] == ["Keep"] for r in outcome.results if r.ok)
