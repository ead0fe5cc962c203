"""Under dag.test(): a dead Bigin host or accounts host fails the task fast, loudly and retryably.

What the user sees: one WARNING per retry and one ERROR naming the host in the task log, a final error that
names host and cause, both XComs with every record (NOT_ATTEMPTED past the failing call, none marked
may_have_applied), and a task that Airflow retries, since the host may come back.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.dead_ports import refused_url
from tests.operators.conftest import dag_source, try_numbers

BODY = """
with DAG(
    "bigin_dead_host",
    schedule=None,
    start_date=START,
    default_args={"on_execute_callback": as_a_fresh_worker, "retries": 1, "retry_delay": timedelta(0)},
) as dag:
    RemoveTagsOperator(
        task_id="untag",
        module="Contacts",
        record_ids=[str(2445013000000000000 + n) for n in range(10_000)],
        tag_names=["Stale"],
        request_retries=2,
        request_retry_max_seconds=1,
    )
"""


@pytest.mark.parametrize("dead_side", ["api_domain", "accounts_url"])
def test_a_dead_host_fails_the_task_fast_loudly_and_retryably_with_every_record_in_xcom(
    run_dag: Any, bigin_sandbox_factory: Any, task_logs: Any, dead_side: str
) -> None:
    with refused_url() as dead:  # refuses connections for the whole run
        sandbox = (
            bigin_sandbox_factory(api_domain=dead) if dead_side == "api_domain" else bigin_sandbox_factory()
        )
        env = sandbox.connection_env(**{dead_side: dead})
        result = run_dag(dag_source(BODY), "bigin_dead_host", env=env)
    logs = task_logs()

    assert result.task_states[("untag", -1)] == "failed"
    assert try_numbers(result.dag_id, result.run_id)[("untag", -1)] == 2  # retried: the host may come back
    records = result.xcom("untag")
    assert len(records) == 10_000
    assert not any(record["details"].get("may_have_applied") for record in records)
    summary = result.xcom("untag", key="summary")
    assert summary["succeeded"] == 0
    assert summary["failed_by_code"].get("NOT_ATTEMPTED", 0) >= 10_000 - 4 * 500
    assert set(summary["failed_by_code"]) <= {"NOT_ATTEMPTED", "TRANSPORT_ERROR"}
    # The task log names the cause: each retry, the stop, and the final error with host and cause.
    retries = logs.lines("could not be reached (connection refused); retrying in")
    assert retries, logs.text[-3000:]
    assert all(dead in line for line in retries)
    if dead_side == "api_domain":
        assert summary["api_calls"] <= 4 * 3
        assert logs.lines("batch 1/20: attempt 1/3 failed: HostUnreachableError: ")
        assert [line for line in logs.lines("The run starts no further calls") if dead in line]
    else:
        assert summary["api_calls"] == 0
        assert [line for line in logs.lines(": attempt 1/3 failed: HostUnreachableError: ") if dead in line]
    final = [line for line in logs.lines("HostUnreachableError") if "Could not reach" in line]
    assert [line for line in final if dead in line and "NOT_ATTEMPTED" in line], logs.text[-3000:]
    assert sandbox.stats()["calls"].get("remove_tags", 0) == 0
