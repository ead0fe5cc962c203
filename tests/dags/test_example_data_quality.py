"""The flagship DAG against the sandbox: each rule's tag leaves exactly the flagged records; the guards hold.

Expected changes are worked out here from the warehouse's raw rows in Python, not with the DAG's queries, so a
wrong query in the DAG cannot agree with itself.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_bigin.sandbox import Sandbox
from tests.conftest import RunDag
from tests.dags.conftest import TagState, dag_source, tag_state

DAG_ID = "example_bigin_data_quality"
RULE_TAGS = {"Newsletter", "Marketing", "Hot Lead", "Follow-up"}


def rule_breakers(db: sqlite3.Connection, *, inactive_days: int = 365) -> dict[tuple[str, str], set[str]]:
    """(module, record id) -> the tags each rule says the record must lose, from the mirror's raw rows."""
    bounces = db.execute("SELECT email, bounce_type FROM email_bounces")
    hard_bounced = {email for email, kind in bounces if kind == "hard"}
    cutoff = (datetime.now(timezone.utc) - timedelta(days=inactive_days)).strftime("%Y-%m-%d %H:%M:%S")
    lose: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record_id, email, opted_out, last_active in db.execute(
        "SELECT bigin_id, email, email_opt_out, last_activity_at FROM bigin_contacts"
    ):
        if email in hard_bounced:
            lose[("Contacts", record_id)].add("Newsletter")
        if opted_out:
            lose[("Contacts", record_id)].add("Marketing")
        if last_active < cutoff:
            lose[("Contacts", record_id)].add("Hot Lead")
    for record_id, stage in db.execute("SELECT bigin_id, stage FROM bigin_deals"):
        if stage == "Closed Lost":
            lose[("Pipelines", record_id)].add("Follow-up")
    return lose


def expected_after(before: TagState, lose: dict[tuple[str, str], set[str]]) -> TagState:
    return {key: tags - lose.get(key, set()) for key, tags in before.items()}


def removals(before: TagState, lose: dict[tuple[str, str], set[str]]) -> dict[str, int]:
    """How many records carry each tag they must lose: what each rule should flag."""
    counts: dict[str, int] = defaultdict(int)
    for key, tags in lose.items():
        for tag in tags & before.get(key, frozenset()):
            counts[tag] += 1
    return dict(counts)


def remove_calls(stats: dict[str, Any]) -> int:
    return sum(count for name, count in stats["calls"].items() if name.startswith("remove_tags"))


def test_flagship_removes_each_rule_tag_from_exactly_the_flagged_records(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    before = tag_state(bigin_sandbox)
    lose = rule_breakers(warehouse_db)
    flagged = removals(before, lose)
    assert set(flagged) == RULE_TAGS  # every rule has work to do
    assert all(flagged.values()), flagged

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env)

    assert result.state == "success", result.task_states
    assert tag_state(bigin_sandbox) == expected_after(before, lose)
    report = {line["tag"]: line for line in result.xcom("report")}
    assert {tag: line["flagged"] for tag, line in report.items()} == flagged
    assert all(line["succeeded"] == line["flagged"] and line["failed"] == 0 for line in report.values())
    stats = bigin_sandbox.stats()
    assert remove_calls(stats) == 4  # one call per rule: each flags fewer than 500 records
    assert stats["token_grants"] == 1  # four mapped tasks share one access token


def test_gate_fails_the_run_on_an_empty_mirror_before_any_call(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    warehouse_db.execute("DELETE FROM bigin_contacts")
    warehouse_db.commit()
    before = tag_state(bigin_sandbox)

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env)

    assert result.state == "failed"
    assert result.task_states[("mirror_is_usable", 0)] == "failed"  # bigin_contacts
    assert "success" not in {
        state for (task, _), state in result.task_states.items() if task == "remove_tags"
    }
    assert tag_state(bigin_sandbox) == before
    stats = bigin_sandbox.stats()
    assert remove_calls(stats) == 0
    assert stats["token_grants"] == 0


def test_gate_fails_the_run_on_a_stale_mirror(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    warehouse_db.execute("UPDATE bigin_deals SET synced_at = datetime('now', '-3 days')")
    warehouse_db.commit()
    before = tag_state(bigin_sandbox)

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env)

    assert result.state == "failed"
    assert result.task_states[("mirror_is_usable", 0)] == "success"
    assert result.task_states[("mirror_is_usable", 1)] == "failed"  # bigin_deals
    assert tag_state(bigin_sandbox) == before
    assert remove_calls(bigin_sandbox.stats()) == 0


def test_max_records_refuses_a_rule_that_flags_an_implausible_share(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    # A broken sync marks every contact as opted out: the Marketing rule now flags a fifth of all contacts.
    warehouse_db.execute("UPDATE bigin_contacts SET email_opt_out = 1")
    warehouse_db.commit()
    before = tag_state(bigin_sandbox)
    lose = rule_breakers(warehouse_db)
    marketing = removals(before, lose)["Marketing"]
    contacts = sum(1 for module, _ in before if module == "Contacts")
    assert marketing > contacts * 0.1  # above the DAG's default max_share

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env)

    assert result.state == "failed"
    assert result.task_states[("remove_tags", 1)] == "failed"  # the Marketing rule
    assert {result.task_states[("remove_tags", index)] for index in (0, 2, 3)} == {"success"}
    assert result.task_states[("report", -1)] == "failed"
    for key in lose:
        lose[key].discard("Marketing")
    assert tag_state(bigin_sandbox) == expected_after(before, lose)  # the other rules still ran


def test_dry_run_plans_every_rule_without_writing(
    run_dag: RunDag, bigin_sandbox: Sandbox, warehouse_db: sqlite3.Connection, dag_env: dict[str, str]
) -> None:
    before = tag_state(bigin_sandbox)
    flagged = removals(before, rule_breakers(warehouse_db))

    result = run_dag(dag_source(DAG_ID), DAG_ID, env=dag_env, run_conf={"dry_run": True})

    assert result.state == "success", result.task_states
    assert tag_state(bigin_sandbox) == before
    report = result.xcom("report")
    assert {line["tag"]: line["flagged"] for line in report} == flagged
    assert all(line["dry_run"] for line in report)
    stats = bigin_sandbox.stats()
    assert remove_calls(stats) == 0
    assert stats["token_grants"] == 0
