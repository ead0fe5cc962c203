"""Outcome assembly: the dry-run outcome, and one result per record out of its tag groups' results."""

from __future__ import annotations

from airflow_provider_bigin.client.assembly import combine_group_results, dry_run_outcome
from airflow_provider_bigin.client.plan import build_plan
from airflow_provider_bigin.client.results import RecordResult


def test_dry_run_outcome_lists_every_record_and_counts_nothing() -> None:
    outcome = dry_run_outcome(build_plan("remove_tags", "Contacts", ["1", "2"], ["a"]))
    assert [(r.id, r.code) for r in outcome.results] == [("1", "DRY_RUN"), ("2", "DRY_RUN")]
    assert outcome.summary.dry_run
    assert outcome.summary.api_calls == 0
    assert (outcome.summary.succeeded, outcome.summary.failed, outcome.failed) == (0, 0, ())


def _ok(record_id: str) -> RecordResult:
    return RecordResult(record_id, "success", "SUCCESS", "tags updated successfully", {"id": record_id})


def test_a_record_succeeds_only_if_every_tag_group_succeeded() -> None:
    failed = RecordResult("1", "error", "INVALID_DATA", "bad", {"id": "1"})
    result = combine_group_results("1", [(("a",), _ok("1")), (("b", "c"), failed), (("d",), None)])
    assert (result.status, result.code) == ("error", "INVALID_DATA")
    assert result.details["failed_tags"] == ["b", "c", "d"]
    assert [group["code"] for group in result.details["tag_groups"]] == [
        "SUCCESS",
        "INVALID_DATA",
        "NOT_ATTEMPTED",
    ]
    assert combine_group_results("1", [(("a",), _ok("1")), (("b",), _ok("1"))]).ok


def test_one_group_keeps_bigins_own_result() -> None:
    assert combine_group_results("1", [(("a",), _ok("1"))]) == _ok("1")
    assert combine_group_results("1", [(("a",), None)]).code == "NOT_ATTEMPTED"
