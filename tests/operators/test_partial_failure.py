"""on_partial_failure with a mix of valid and unknown ids, and a whole-request error mid-run."""

from __future__ import annotations

from typing import Any

from tests.operators.conftest import assert_no_secret_leaked, dag_source, try_numbers

BODY = """
IDS = __IDS__
UNKNOWN = __UNKNOWN__

with DAG(
    "bigin_partial_failure",
    schedule=None,
    start_date=START,
    default_args={"on_execute_callback": as_a_fresh_worker, "retries": 1, "retry_delay": timedelta(0)},
) as dag:
    for policy in ("fail", "warn", "ignore"):
        RemoveTagsOperator(
            task_id=f"policy_{policy}",
            module="Contacts",
            record_ids=[IDS[policy][0], UNKNOWN[policy], IDS[policy][1]],
            tag_names=["Shape"],
            on_partial_failure=policy,
        )
    RemoveTagsOperator(
        task_id="scope_error",
        bigin_conn_id="bigin_readonly",
        module="Contacts",
        record_ids=IDS["scope"],
        tag_names=["Keep"],
    )
"""


def test_policies_decide_the_task_state_after_every_record_was_tried(
    run_dag: Any, bigin_sandbox: Any, operator_env: dict[str, str], task_logs: Any
) -> None:
    contacts = list(bigin_sandbox.records("Contacts"))
    ids = {"fail": contacts[0:2], "warn": contacts[2:4], "ignore": contacts[4:6], "scope": contacts[6:8]}
    unknown = {"fail": "900000000000000001", "warn": "900000000000000002", "ignore": "900000000000000003"}
    for record_id in contacts[0:8]:
        bigin_sandbox.set_tags("Contacts", record_id, ["Shape", "Keep"])

    result = run_dag(dag_source(BODY, ids=ids, unknown=unknown), "bigin_partial_failure", env=operator_env)
    logs = task_logs()
    states = {task_id: state for (task_id, _), state in result.task_states.items()}
    assert states == {
        "policy_fail": "failed",
        "policy_warn": "success",
        "policy_ignore": "success",
        "scope_error": "failed",
    }
    # Refusals that a retry cannot fix fail the task at once, although it has a retry left.
    tries = try_numbers(result.dag_id, result.run_id)
    assert tries[("policy_fail", -1)] == 1
    assert tries[("scope_error", -1)] == 1

    for policy in ("fail", "warn", "ignore"):
        results = result.xcom(f"policy_{policy}")
        assert [entry["id"] for entry in results] == [ids[policy][0], unknown[policy], ids[policy][1]]
        assert [entry["code"] for entry in results] == ["SUCCESS", "INVALID_DATA", "SUCCESS"]
        summary = result.xcom(f"policy_{policy}", key="summary")
        assert (summary["succeeded"], summary["failed"]) == (2, 1)
        assert summary["failed_by_code"] == {"INVALID_DATA": 1}
        for record_id in ids[policy]:  # the valid records were changed whatever the policy
            assert bigin_sandbox.tags("Contacts", record_id) == ["Keep"]

    failure = logs.lines(f"1 of 3 records failed: {unknown['fail']} (INVALID_DATA)")
    assert any("RecordsRefusedError" in line or "Per-record results" in line for line in failure), failure
    assert logs.lines(f"1 of 3 records failed: {unknown['warn']} (INVALID_DATA)")
    assert not logs.lines(f"records failed: {unknown['ignore']}")  # "ignore" succeeds quietly

    # A whole-request error: the outcome so far is still pushed, then the task fails without retrying.
    scope_results = result.xcom("scope_error")
    assert [entry["id"] for entry in scope_results] == ids["scope"]
    assert {entry["status"] for entry in scope_results} == {"error"}
    assert {entry["code"] for entry in scope_results} <= {"OAUTH_SCOPE_MISMATCH", "NOT_ATTEMPTED"}
    assert result.xcom("scope_error", key="summary")["succeeded"] == 0
    assert logs.lines("ScopeMismatchError")
    assert logs.lines("ZohoBigin.modules")
    for record_id in ids["scope"]:
        assert bigin_sandbox.tags("Contacts", record_id) == ["Shape", "Keep"]

    secrets = []
    for client in ("default", "readonly"):
        conn = bigin_sandbox.connection(client=client)
        secrets += [conn["password"], conn["extra"]["refresh_token"]]
    assert_no_secret_leaked(result.dag_id, result.run_id, logs, secrets)
