from __future__ import annotations

import pytest

from airflow_provider_bigin.client.plan import build_plan, id_chunks, plan_batches
from airflow_provider_bigin.errors import InvalidInputError


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


def test_batches_slice_the_plans_one_tuple_of_ids_and_name_their_chunk() -> None:
    ids = [str(n) for n in range(1, 1201)]
    plan = build_plan("remove_tags", "Contacts", ids, [f"t{n}" for n in range(12)])
    assert [(batch.chunk, batch.tag_group, batch.size) for batch in plan.batches] == [
        (0, 0, 500),
        (0, 1, 500),
        (1, 0, 500),
        (1, 1, 500),
        (2, 0, 200),
        (2, 1, 200),
    ]
    assert all(batch.source is plan.ids for batch in plan.batches)
    assert plan.batches[5].ids == tuple(ids[1000:])


def test_id_chunks_cut_ids_in_order_into_pieces_of_at_most_the_size() -> None:
    ids = [str(n) for n in range(1, 8)]
    assert id_chunks(ids, 3) == [("1", "2", "3"), ("4", "5", "6"), ("7",)]
    assert [len(piece) for piece in id_chunks(ids, 4)] == [4, 3]
    assert id_chunks([], 2) == []
    with pytest.raises(ValueError, match="at least 1"):
        id_chunks(ids, 0)
