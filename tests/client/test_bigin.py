"""BiginClient against the sandbox over real HTTP: batching, results, errors, endpoints."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.client import BiginClient
from airflow_provider_bigin.client.datacenters import get_data_center
from airflow_provider_bigin.client.results import BatchReport
from airflow_provider_bigin.errors import (
    ConnectionConfigError,
    InvalidInputError,
    PermissionDeniedError,
    ScopeMismatchError,
)
from tests.client.conftest import MakeClient, settings_for

FOUR_TAGS = ["From Email", "In progress", "Q&A, later".replace(",", ""), "VIP+"]


def _records_with(sandbox, count: int, tags: list[str], module: str = "Contacts") -> list[str]:
    return sandbox.add_records(module, [{"Last_Name": f"r{n}", "Tag": [*tags, "Keep"]} for n in range(count)])


def _tag_calls(sandbox) -> int:
    calls = sandbox.stats()["calls"]
    return sum(calls.get(name, 0) for name in ("remove_tags", "remove_tags_one", "add_tags", "add_tags_one"))


@pytest.mark.slow
def test_ten_thousand_ids_over_four_tags_take_exactly_twenty_calls(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 10_000, FOUR_TAGS)
    bigin_sandbox.set_latency(20)  # so that concurrent calls overlap in the sandbox
    bigin_sandbox.reset_stats()
    reports: list[BatchReport] = []

    outcome = make_client(bigin_sandbox).remove_tags("Contacts", ids, FOUR_TAGS, on_batch=reports.append)

    assert bigin_sandbox.stats()["calls"]["remove_tags"] == 20
    assert 1 < bigin_sandbox.stats()["max_concurrency_seen"] <= 4  # the default bound, and it is used
    assert _tag_calls(bigin_sandbox) == 20
    assert outcome.summary.api_calls == 20
    assert outcome.summary.retries == 0
    assert [result.id for result in outcome.results] == ids
    assert all(result.ok and result.code == "SUCCESS" for result in outcome.results)
    assert (outcome.summary.requested, outcome.summary.succeeded, outcome.summary.failed) == (
        10_000,
        10_000,
        0,
    )
    assert all(bigin_sandbox.tags("Contacts", record_id) == ["Keep"] for record_id in ids)
    assert sorted(report.index for report in reports) == list(range(1, 21))
    assert all(report.total == 20 and report.size == 500 and report.succeeded == 500 for report in reports)


def test_unknown_ids_are_per_record_failures_and_duplicates_are_merged(
    bigin_sandbox, make_client: MakeClient
) -> None:
    known = _records_with(bigin_sandbox, 3, ["Old"])
    unknown = "1111110000001950721"
    outcome = make_client(bigin_sandbox).remove_tags(
        "Contacts", [known[0], unknown, int(known[1]), known[0], known[2]], ["Old"]
    )
    assert [(r.id, r.status, r.code) for r in outcome.results] == [
        (known[0], "success", "SUCCESS"),
        (unknown, "error", "INVALID_DATA"),
        (known[1], "success", "SUCCESS"),
        (known[2], "success", "SUCCESS"),
    ]
    assert outcome.failed[0].message
    assert outcome.failed[0].details["id"] == unknown
    assert (outcome.summary.requested, outcome.summary.succeeded, outcome.summary.failed) == (4, 3, 1)


def test_one_id_uses_the_single_record_endpoint(bigin_sandbox, make_client: MakeClient) -> None:
    [record_id] = _records_with(bigin_sandbox, 1, ["From Email", "Other"])
    bigin_sandbox.reset_stats()
    outcome = make_client(bigin_sandbox).remove_tags("Contacts", [record_id], "From Email")
    assert outcome.results[0].ok
    assert bigin_sandbox.stats()["calls"].get("remove_tags_one") == 1
    assert bigin_sandbox.stats()["calls"].get("remove_tags", 0) == 0
    assert bigin_sandbox.tags("Contacts", record_id) == ["Other", "Keep"]


def test_tag_names_with_spaces_and_symbols_arrive_intact(bigin_sandbox, make_client: MakeClient) -> None:
    odd = ["a b", "c&d=e", "50%", "x+y", "ünïcode", "slash/dash"]
    ids = _records_with(bigin_sandbox, 2, odd)
    outcome = make_client(bigin_sandbox).remove_tags("Contacts", ids, odd)
    assert all(result.ok for result in outcome.results)
    assert [bigin_sandbox.tags("Contacts", record_id) for record_id in ids] == [["Keep"], ["Keep"]]


def test_more_than_ten_tags_are_sent_in_groups_and_combined_per_record(
    bigin_sandbox, make_client: MakeClient
) -> None:
    tags = [f"tag{n}" for n in range(12)]
    ids = _records_with(bigin_sandbox, 3, tags)
    bigin_sandbox.reset_stats()
    outcome = make_client(bigin_sandbox).remove_tags("Contacts", ids, tags)
    assert bigin_sandbox.stats()["calls"]["remove_tags"] == 2
    assert all(result.ok for result in outcome.results)
    assert all(len(result.details["tag_groups"]) == 2 for result in outcome.results)
    assert all(bigin_sandbox.tags("Contacts", record_id) == ["Keep"] for record_id in ids)


def test_add_tags_puts_tags_on_records(bigin_sandbox, make_client: MakeClient) -> None:
    ids = _records_with(bigin_sandbox, 3, [])
    outcome = make_client(bigin_sandbox).add_tags("Contacts", ids, ["New one", "Two"])
    assert all(result.ok for result in outcome.results)
    assert all(bigin_sandbox.tags("Contacts", r) == ["Keep", "New one", "Two"] for r in ids)
    single = make_client(bigin_sandbox).add_tags("Contacts", ids[:1], ["Three"])
    assert single.results[0].ok
    assert bigin_sandbox.tags("Contacts", ids[0])[-1] == "Three"


def test_module_aliases_reach_the_api_name(bigin_sandbox, make_client: MakeClient) -> None:
    ids = _records_with(bigin_sandbox, 2, ["Hot"], module="Accounts")
    outcome = make_client(bigin_sandbox).remove_tags("Companies", ids, ["Hot"])
    assert outcome.summary.module == "Accounts"
    assert all(result.ok for result in outcome.results)


@pytest.mark.parametrize(
    ("module", "ids", "tags"),
    [
        ("Leads", ["1"], ["a"]),
        ("Contacts", [1.5], ["a"]),
        ("Contacts", ["12x"], ["a"]),
        ("Contacts", ["1"], ["a,b"]),
        ("Contacts", ["1"], [""]),
        ("Contacts", ["1"], []),
    ],
)
def test_bad_input_is_refused_before_any_request(
    bigin_sandbox, make_client: MakeClient, module, ids, tags
) -> None:
    client = make_client(bigin_sandbox)
    bigin_sandbox.reset_stats()
    with pytest.raises(InvalidInputError):
        client.remove_tags(module, ids, tags)
    stats = bigin_sandbox.stats()
    assert stats["requests"] == 0
    assert stats["token_grants"] == 0


def test_no_ids_make_no_request_and_an_empty_outcome(bigin_sandbox, make_client: MakeClient) -> None:
    bigin_sandbox.reset_stats()
    outcome = make_client(bigin_sandbox).remove_tags("Contacts", [], ["a"])
    assert outcome.results == ()
    assert outcome.summary.api_calls == 0
    assert bigin_sandbox.stats()["requests"] == 0


def test_a_missing_scope_names_the_scope_and_reports_the_records(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 3, ["Old"])
    with pytest.raises(ScopeMismatchError, match=r"add ZohoBigin\.modules\.contacts\.WRITE") as caught:
        make_client(bigin_sandbox, client="readonly").remove_tags("Contacts", ids, ["Old"])
    assert caught.value.scope == "ZohoBigin.modules.contacts.WRITE"
    outcome = caught.value.outcome
    assert outcome is not None
    assert [r.id for r in outcome.results] == ids
    assert {r.code for r in outcome.results} == {"OAUTH_SCOPE_MISMATCH"}
    assert all(bigin_sandbox.tags("Contacts", record_id) == ["Old", "Keep"] for record_id in ids)


def test_a_user_without_permission_gets_a_typed_error(bigin_sandbox, make_client: MakeClient) -> None:
    ids = _records_with(bigin_sandbox, 2, ["Old"])
    with pytest.raises(PermissionDeniedError, match="administrator") as caught:
        make_client(bigin_sandbox, client="noperm").remove_tags("Contacts", ids, ["Old"])
    assert caught.value.outcome is not None
    assert caught.value.outcome.summary.failed == 2


def test_a_refusal_stops_the_run_and_unsent_calls_are_not_attempted(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 40, ["Old"])
    client = make_client(bigin_sandbox, client="noperm", max_ids_per_call=2)
    bigin_sandbox.reset_stats()
    with pytest.raises(PermissionDeniedError) as caught:
        client.remove_tags("Contacts", ids, ["Old"])
    outcome = caught.value.outcome
    assert outcome is not None
    assert len(outcome.results) == 40
    codes = {r.code for r in outcome.results}
    assert codes <= {"NO_PERMISSION", "NOT_ATTEMPTED"}
    assert "NOT_ATTEMPTED" in codes
    assert outcome.summary.api_calls == _tag_calls(bigin_sandbox) < 20


def test_reads_list_tags_and_modules(bigin_sandbox, make_client: MakeClient) -> None:
    _records_with(bigin_sandbox, 1, ["Listed"])
    client = make_client(bigin_sandbox)
    assert "Listed" in {tag["name"] for tag in client.get_tags("Contacts")}
    assert "Contacts" in {module.get("api_name") for module in client.list_modules()}
    check = client.check()
    assert "Pipelines" in check.modules
    assert check.api_domain == bigin_sandbox.url
    assert "US data centre" in check.message


def test_the_token_reply_api_domain_of_another_data_center_is_refused(bigin_sandbox_factory) -> None:
    sandbox = bigin_sandbox_factory(api_domain="https://www.zohoapis.eu")
    client = BiginClient(settings_for(sandbox, data_center="us"))
    with pytest.raises(ConnectionConfigError, match=r"belongs to EU .*the connection says US"):
        client.list_modules()
    assert sandbox.stats()["calls"].get("modules", 0) == 0


@pytest.mark.parametrize("code", ["us", "eu", "au", "in", "cn", "jp", "sa", "ca"])
def test_each_data_center_accepts_its_own_api_domain(bigin_sandbox_factory, code: str) -> None:
    dc = get_data_center(code)
    sandbox = bigin_sandbox_factory(api_domain=dc.api_domain)
    client = BiginClient(settings_for(sandbox, data_center=code.upper()))
    assert client.check().data_center == code
    assert client.api_domain == sandbox.url  # the connection's explicit override is where calls go
    other = get_data_center("eu" if code != "eu" else "us")
    mismatched = BiginClient(settings_for(sandbox, data_center=other.code))
    with pytest.raises(ConnectionConfigError, match=f"belongs to {dc.label} .*says {other.label}"):
        mismatched.check()


def test_a_failing_progress_callback_does_not_stop_the_run(
    bigin_sandbox, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _records_with(bigin_sandbox, 4, ["Old"])

    def broken(report: BatchReport) -> None:
        raise RuntimeError("logging is down")

    outcome = make_client(bigin_sandbox, max_ids_per_call=2).remove_tags(
        "Contacts", ids, ["Old"], on_batch=broken
    )
    assert outcome.summary.succeeded == 4
    assert "on_batch callback failed" in caplog.text
