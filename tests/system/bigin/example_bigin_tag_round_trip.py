"""System test: one temporary tag on one live Bigin record, added, read back, removed, checked, removed again.

Each step prints what Zoho answered, which is what docs/zoho-facts.md marks unconfirmed: the shape Add Tags
accepts, what ``details.tags`` lists in the replies, what removing an absent tag returns, and the HTTP status
of every reply. The teardown removes the tag whatever failed before it. Run it with ``make system-test``
(docs/system-test.md); the connection and the record come from the environment (tests/system/system_tests.py).
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import DAG, TriggerRule, get_current_context, task

from tests.system.bigin.http_watch import EXCHANGES_KEY, WatchedAddTagsOperator, WatchedRemoveTagsOperator
from tests.system.system_tests import (
    CONN_ID,
    RECORD_ID_VARIABLE,
    REPORT_TASK_ID,
    get_test_run,
    missing_variables,
    record_module,
    skip_reason,
    watcher,
)

DAG_ID = "bigin_system_tag_round_trip"
#: Zoho CRM caps tag names at 25 characters (docs/zoho-facts.md, section 4; unconfirmed for Bigin).
MAX_TAG_NAME = 25
TAG_STEPS = ("add_tag", "remove_tag", "remove_absent_tag", "teardown_remove_tag")
READ_STEPS = ("read_after_add", "read_after_remove")


def temporary_tag_name(now: datetime) -> str:
    """``airflow-<UTC yymmddHHMMSS>-<4 random hex>``: 25 characters, unique to one run."""
    name = f"airflow-{now.astimezone(timezone.utc):%y%m%d%H%M%S}-{secrets.token_hex(2)}"
    assert len(name) <= MAX_TAG_NAME, name
    return name


@task(multiple_outputs=True)
def plan() -> dict[str, str]:
    """The record and the tag of this run, read from the environment when the run starts."""
    from airflow_provider_bigin.client.inputs import normalise_record_ids, resolve_module

    missing = missing_variables()
    if missing:
        raise RuntimeError(skip_reason(missing))
    (record_id,) = normalise_record_ids(os.environ[RECORD_ID_VARIABLE].strip())
    chosen = {
        "module": resolve_module(record_module()),
        "record_id": record_id,
        "tag": temporary_tag_name(datetime.now(timezone.utc)),
    }
    print(f"system test: tag {chosen['tag']!r} on {chosen['module']} record {record_id}")
    return chosen


def _read(module: str, record_id: str, tag: str, *, expect_tag: bool) -> None:
    """Read the record, push what was read as XCom ``read``, then check that the tag is (or is not) there."""
    from airflow_provider_bigin.client.calls import API_PREFIX
    from airflow_provider_bigin.hooks.bigin import BiginHook

    client = BiginHook(CONN_ID).get_conn()
    read = client.get_record(module, record_id)
    path = f"{API_PREFIX}/{module}/{record_id}"
    seen: dict[str, Any] = {
        "path": path,
        "found": read is not None,
        "http_status": 204 if read is None else read.http_status,
        "tags": [] if read is None else list(read.tags),
        "api_domain": client.api_domain,
    }
    print(f"Bigin answered GET {path} with HTTP {seen['http_status']}; Tag field: {seen['tags']!r}")
    get_current_context()["ti"].xcom_push(key="read", value=seen)
    if read is None:
        raise RuntimeError(f"Bigin has no {module} record {record_id}: check BIGIN_SYSTEM_TEST_RECORD_ID.")
    if (tag in read.tags) != expect_tag:
        where = "absent from" if expect_tag else "still on"
        raise RuntimeError(f"the tag {tag!r} is {where} the record: {list(read.tags)!r}")


@task
def read_after_add(module: str, record_id: str, tag: str) -> None:
    _read(module, record_id, tag, expect_tag=True)


@task
def read_after_remove(module: str, record_id: str, tag: str) -> None:
    _read(module, record_id, tag, expect_tag=False)


@task(task_id=REPORT_TASK_ID, trigger_rule=TriggerRule.ALL_DONE)
def report(module: str, record_id: str, tag: str) -> str:
    """Every step's answers in one text, printed to the task log and returned for pytest to print."""
    from airflow_provider_bigin.errors import BiginError
    from airflow_provider_bigin.hooks.bigin import BiginHook
    from tests.system.bigin.round_trip_report import render_report

    ti = get_current_context()["ti"]
    steps: dict[str, dict[str, Any]] = {}
    for task_id in TAG_STEPS:
        steps[task_id] = {
            "exchanges": ti.xcom_pull(task_ids=task_id, key=EXCHANGES_KEY),
            "records": ti.xcom_pull(task_ids=task_id, key="return_value"),
            "summary": ti.xcom_pull(task_ids=task_id, key="summary"),
        }
    for task_id in READ_STEPS:
        steps[task_id] = {"read": ti.xcom_pull(task_ids=task_id, key="read")}
    try:
        listed = tag in {str(found.get("name")) for found in BiginHook(CONN_ID).get_tags(module)}
        module_tags = f"the tag is {'still' if listed else 'no longer'} listed among the {module} tags"
    except BiginError as error:
        module_tags = f"could not list {module}'s tags: {error.message}"
    text = render_report({"module": module, "record_id": record_id, "tag": tag}, steps, module_tags)
    print(text)
    return text


with DAG(
    DAG_ID,
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["bigin", "system-test"],
    doc_md=__doc__,
) as dag:
    chosen: Any = plan()  # multiple_outputs: one XCom per key, chosen["tag"] is the tag's
    module, record_id, tag = chosen["module"], chosen["record_id"], chosen["tag"]
    module_template = "{{ ti.xcom_pull(task_ids='plan', key='module') }}"
    tag_step = {
        "bigin_conn_id": CONN_ID,
        "module": module_template,
        "record_ids": record_id,
        "tag_names": tag,
    }

    add_tag = WatchedAddTagsOperator(task_id="add_tag", return_records="all", **tag_step)
    remove_tag = WatchedRemoveTagsOperator(task_id="remove_tag", return_records="all", **tag_step)
    # The provider counts removing a tag a record does not carry as a success: this step checks it.
    remove_absent_tag = WatchedRemoveTagsOperator(
        task_id="remove_absent_tag", return_records="all", **tag_step
    )
    teardown_remove_tag = WatchedRemoveTagsOperator(
        task_id="teardown_remove_tag", return_records="all", trigger_rule=TriggerRule.ALL_DONE, **tag_step
    )
    (
        add_tag
        >> read_after_add(module, record_id, tag)
        >> remove_tag
        >> read_after_remove(module, record_id, tag)
        >> remove_absent_tag
        >> teardown_remove_tag
        >> report(module, record_id, tag)
    )

    list(dag.tasks) >> watcher()


test_run = get_test_run(dag)
