"""A run with a result sink: every id reaches the sink exactly once, and the outcome keeps only failures."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Sequence

import pytest

from airflow_provider_bigin.client import BiginClient, MemoryTokenStore
from airflow_provider_bigin.client.results import RecordResult
from airflow_provider_bigin.errors import PermissionDeniedError, ResultsSinkError
from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.seeding import add_bench_records, record_ids
from tests.client.conftest import MakeClient, settings_for

#: A well-formed id that no record has: Bigin answers INVALID_DATA for it.
UNKNOWN_ID = "2445013999999999999"
ELEVEN_TAGS = [f"T{n}" for n in range(11)]


def _records_with(sandbox, count: int, tags: list[str]) -> list[str]:
    return sandbox.add_records(
        "Contacts", [{"Last_Name": f"r{n}", "Tag": [*tags, "Keep"]} for n in range(count)]
    )


class Collect:
    """A sink that keeps what it is given, call by call."""

    def __init__(self, *, fail_on_call: int | None = None) -> None:
        self.calls: list[list[RecordResult]] = []
        self.fail_on_call = fail_on_call

    def __call__(self, results: Sequence[RecordResult]) -> None:
        if self.fail_on_call is not None and len(self.calls) + 1 == self.fail_on_call:
            raise OSError("disk full")
        self.calls.append(list(results))

    @property
    def results(self) -> list[RecordResult]:
        return [result for call in self.calls for result in call]


def test_every_id_reaches_the_sink_once_and_only_failures_stay(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 25, ["Old"])
    sink = Collect()

    outcome = make_client(bigin_sandbox, max_ids_per_call=10).remove_tags(
        "Contacts", [*ids, UNKNOWN_ID], ["Old"], sink=sink
    )

    assert len(sink.calls) == 3  # one per settled call of at most 10 ids
    assert sorted(result.id for result in sink.results) == sorted([*ids, UNKNOWN_ID])
    assert {result.id for result in sink.results if result.ok} == set(ids)
    assert not outcome.all_results
    assert [(result.id, result.code) for result in outcome.results] == [(UNKNOWN_ID, "INVALID_DATA")]
    assert outcome.summary.requested == 26
    assert (outcome.summary.succeeded, outcome.summary.failed) == (25, 1)
    assert all("Old" not in tags for tags in _tags(bigin_sandbox, ids))


def test_keep_all_keeps_every_result_in_input_order_beside_the_sink(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 25, ["Old"])
    sink = Collect()
    client = make_client(bigin_sandbox, max_ids_per_call=4)

    outcome = client.run(client.plan("remove_tags", "Contacts", ids, ["Old"]), sink=sink, keep_all=True)

    assert outcome.all_results
    assert [result.id for result in outcome.results] == ids
    assert sorted(result.id for result in sink.results) == sorted(ids)


def test_with_several_tag_groups_a_record_reaches_the_sink_once_its_groups_all_settled(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 6, ELEVEN_TAGS)
    sink = Collect()

    outcome = make_client(bigin_sandbox, max_ids_per_call=4).remove_tags(
        "Contacts", ids, ELEVEN_TAGS, sink=sink
    )

    assert outcome.summary.api_calls == 4  # 2 id chunks x 2 tag groups
    assert sorted(len(call) for call in sink.calls) == [2, 4]  # one call per id chunk
    assert sorted(result.id for result in sink.results) == sorted(ids)
    assert all(result.ok and len(result.details["tag_groups"]) == 2 for result in sink.results)
    assert outcome.results == ()
    assert all(tags == {"Keep"} for tags in _tags(bigin_sandbox, ids))


def test_a_refusal_halfway_sends_not_attempted_for_every_id_not_sent(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 40, ["Old"])
    sink = Collect()
    client = make_client(bigin_sandbox, client="noperm", max_ids_per_call=2)

    with pytest.raises(PermissionDeniedError) as caught:
        client.remove_tags("Contacts", ids, ["Old"], sink=sink)

    assert sorted(result.id for result in sink.results) == sorted(ids)
    assert {result.code for result in sink.results} <= {"NO_PERMISSION", "NOT_ATTEMPTED"}
    assert "NOT_ATTEMPTED" in {result.code for result in sink.results}
    outcome = caught.value.outcome
    assert outcome is not None
    assert not outcome.all_results
    assert sorted(result.id for result in outcome.results) == sorted(ids)  # all failed, so all kept
    assert outcome.summary.failed == 40


def test_a_failing_sink_stops_the_run_and_its_error_keeps_every_result_not_written(
    bigin_sandbox, make_client: MakeClient
) -> None:
    ids = _records_with(bigin_sandbox, 40, ["Old"])
    sink = Collect(fail_on_call=2)
    client = make_client(bigin_sandbox, extra={"max_concurrency": 1}, max_ids_per_call=2)

    with pytest.raises(
        ResultsSinkError, match=r"after 2 of 40 records were written \(OSError: disk full\)"
    ) as caught:
        client.remove_tags("Contacts", ids, ["Old"], sink=sink)

    assert [result.id for result in sink.results] == ids[:2]
    outcome = caught.value.outcome
    assert outcome is not None
    kept = [result.id for result in outcome.results]
    assert sorted(kept) == sorted(ids[2:])  # every id the sink did not take, once, whatever its status
    assert {r.code for r in outcome.results if r.id in ids[2:4]} == {"SUCCESS"}  # changed, never written
    assert "NOT_ATTEMPTED" in {r.code for r in outcome.results}
    assert outcome.summary.api_calls < 20  # the run stopped starting calls
    assert outcome.summary.succeeded + outcome.summary.failed == 40


def _tags(sandbox, ids: list[str]) -> list[set[str]]:
    records = sandbox.records("Contacts")
    return [{tag["name"] for tag in records[rid]["Tag"]} for rid in ids]


@pytest.mark.slow
def test_with_a_sink_the_run_adds_at_most_32_bytes_per_record(caplog: pytest.LogCaptureFixture) -> None:
    """Measured as the slope between two sizes, so that the replies in flight (a constant) cancel out."""
    caplog.set_level(logging.WARNING)  # pytest keeps every captured log record: they are not the run's
    small, large = 100_000, 300_000
    with Sandbox(process=True, seed={"base": "empty"}) as sandbox:
        add_bench_records(sandbox, "Contacts", large, ("Newsletter",))
        settings = settings_for(sandbox, max_concurrency=10)
        with BiginClient(settings, token_store=MemoryTokenStore()) as client:
            client.list_modules()  # the token, outside the measurement
            peaks = {size: _traced_peak(client, record_ids(size)) for size in (small, large)}
    per_record = (peaks[large] - peaks[small]) / (large - small)
    print(f"with a sink: {per_record:.1f} bytes per record (traced peaks {peaks})")
    assert per_record <= 32, f"{per_record:.1f} bytes per record (peaks {peaks})"


def _traced_peak(client: BiginClient, ids: list[str]) -> int:
    """Peak bytes Python allocated during one run whose sink only counts."""
    counted = 0

    def count(results: Sequence[RecordResult]) -> None:
        nonlocal counted
        counted += len(results)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        outcome = client.remove_tags("Contacts", ids, ["Newsletter"], sink=count)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert counted == outcome.summary.succeeded == len(ids)
    return peak
