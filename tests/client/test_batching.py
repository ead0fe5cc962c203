from __future__ import annotations

import pytest

from airflow_provider_bigin.batching import build_plan, combine_group_results, plan_batches
from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.results import RecordResult


def test_ten_thousand_ids_and_four_tags_make_twenty_calls() -> None:
    ids = [str(n) for n in range(1, 10_001)]
    plan = build_plan("remove_tags", "Contacts", ids, ["a", "b", "c", "d"])
    assert plan.calls == 20
    assert all(len(batch.ids) == 500 and batch.tags == ("a", "b", "c", "d") for batch in plan.batches)
    assert [record_id for batch in plan.batches for record_id in batch.ids] == ids


def test_more_than_ten_tags_are_split_into_groups_for_every_id_chunk() -> None:
    tags = [f"t{n}" for n in range(23)]
    batches = plan_batches([str(n) for n in range(1, 1001)], tags, max_ids_per_call=500, max_tags_per_call=10)
    assert len(batches) == 2 * 3
    assert [len(batch.tags) for batch in batches] == [10, 10, 3, 10, 10, 3]
    assert [batch.index for batch in batches] == [1, 2, 3, 4, 5, 6]


def test_lower_limits_are_configurable_and_the_ceilings_are_enforced() -> None:
    assert len(plan_batches(["1", "2", "3"], ["a"], max_ids_per_call=2, max_tags_per_call=1)) == 2
    with pytest.raises(InvalidInputError, match="max_ids_per_call must be a whole number from 1 to 500"):
        plan_batches(["1"], ["a"], max_ids_per_call=501, max_tags_per_call=10)
    with pytest.raises(InvalidInputError, match="max_tags_per_call"):
        plan_batches(["1"], ["a"], max_ids_per_call=5, max_tags_per_call=11)


def test_a_single_id_is_planned_for_the_single_record_endpoint() -> None:
    plan = build_plan("remove_tags", "Deals", ["7", 7], "a")
    assert plan.module == "Pipelines"
    assert plan.calls == 1
    assert plan.batches[0].single


def test_no_ids_plan_no_calls() -> None:
    assert build_plan("add_tags", "Contacts", [], ["a"]).calls == 0


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="action 'delete'"):
        build_plan("delete", "Contacts", ["1"], ["a"])


def test_dry_run_outcome_lists_every_record_and_counts_nothing() -> None:
    outcome = build_plan("remove_tags", "Contacts", ["1", "2"], ["a"]).dry_run_outcome()
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
