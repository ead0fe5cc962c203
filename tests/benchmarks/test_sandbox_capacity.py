"""The capacity helper counts exactly the calls the sandbox served."""

from __future__ import annotations

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.sandbox_capacity import measure_capacity


def test_measure_capacity_counts_what_the_sandbox_served(bigin_sandbox: Sandbox) -> None:
    ids = list(bigin_sandbox.records("Contacts"))[:10]
    token = bigin_sandbox.fetch_access_token()
    bigin_sandbox.reset_stats()

    report = measure_capacity(bigin_sandbox.url, token, ids, seconds=0.5, clients=3)

    assert report.errors == 0
    assert report.calls > 0
    assert report.calls == bigin_sandbox.stats()["calls"]["remove_tags"]
    assert report.calls_per_second == report.calls / report.seconds
    assert f"{report.calls} Remove Tags calls of 10 ids" in report.summary()
