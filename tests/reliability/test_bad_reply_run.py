"""Under dag.test(): a reply nested 100,000 deep on the third call fails the task like any refusal.

Before, the parser's RecursionError escaped untyped: no `.outcome`, no XCom, though 1,000 records had changed.
Now the reply is an UnexpectedResponseError carrying the outcome, and the operator pushes both XComs (the
summary and return_value) with the records of the first two calls as changed, the third call's as refused
and the rest as not attempted.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from tests.operators.conftest import dag_source
from tests.reliability.odd_server import OddServer, Reply, Seen, entry

IDS = [str(2445013000000000000 + n) for n in range(2_000)]
DEEP = b"[" * 100_000 + b"]" * 100_000

BODY = """
with DAG("bigin_deep_reply", schedule=None, start_date=START):
    RemoveTagsOperator(task_id="untag", module="Contacts", record_ids=__IDS__, tag_names=["Stale"])
"""


def third_call_nested_too_deep() -> Any:
    calls = itertools.count(1)
    lock = threading.Lock()

    def api(seen: Seen) -> Reply:
        with lock:
            call = next(calls)
        if call == 3:
            return Reply.raw(DEEP)
        return Reply.json({"data": [entry(record_id) for record_id in seen.ids]})

    return api


def test_a_deeply_nested_reply_fails_the_task_with_both_xcoms_and_the_changed_records(run_dag: Any) -> None:
    with OddServer(api=third_call_nested_too_deep()) as odd:
        conn = {
            "conn_type": "bigin",
            "login": "1000.DEEP",
            "password": "deep-secret-0123456789abcdef",
            "extra": {
                "refresh_token": "1000.deepdeepdeepdeepdeepdeepdeepdeep.0123456789abcdef0123456789abcdef",
                "accounts_url": odd.url,
                "api_domain": odd.url,
                "max_concurrency": 1,  # calls in plan order: the third holds the 1,001st to 1,500th id
            },
        }
        result = run_dag(
            dag_source(BODY, ids=IDS),
            "bigin_deep_reply",
            env={"AIRFLOW_CONN_BIGIN_DEFAULT": json.dumps(conn)},
        )
        calls = len(odd.api_requests)
    assert result.task_states[("untag", -1)] == "failed"
    assert calls == 3  # the run stopped at the refusal
    assert result.xcom_keys("untag") >= {"summary", "return_value"}
    records = result.xcom("untag")
    assert [record["id"] for record in records] == IDS
    codes = [record["code"] for record in records]
    assert codes[:1_000] == ["SUCCESS"] * 1_000  # already changed, and said so
    assert codes[1_000:1_500] == ["UnexpectedResponseError"] * 500
    assert codes[1_500:] == ["NOT_ATTEMPTED"] * 500
    assert "body that is not its JSON" in records[1_000]["message"]
    # Bigin took the third call and answered: its records may have changed, and say so.
    assert all(record["details"]["may_have_applied"] is True for record in records[1_000:1_500])
    assert "may or may not have applied" in records[1_000]["message"]
    assert not any(record["details"].get("may_have_applied") for record in records[1_500:])
    summary = result.xcom("untag", key="summary")
    assert (summary["succeeded"], summary["failed"], summary["api_calls"]) == (1_000, 1_000, 3)
