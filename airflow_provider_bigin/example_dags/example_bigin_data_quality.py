"""
### Bigin data quality: SQL rules pick the records, one RemoveTagsOperator per rule takes the tags off

A warehouse holds a mirror of the Bigin CRM (contacts, deals and their tags, synced by an ELT job) beside
facts from other systems (bounces from the email platform, last activity from the product). Each rule is a
SQL query that finds the records breaking it, and the fix is to take one tag off them in Bigin:

| rule | records | tag removed |
|---|---|---|
| `hard_bounced` | contacts whose address hard-bounced | `Newsletter` |
| `opted_out` | contacts who opted out of email | `Marketing` |
| `inactive` | contacts with no activity for `inactive_days` | `Hot Lead` |
| `closed_lost` | deals closed lost | `Follow-up` |

What it shows:
- a **gate** (`SQLTableCheckOperator`) that stops the run when the mirror is empty or older than
  `max_mirror_age_hours`: acting on a broken mirror would strip tags from the wrong records;
- the rule queries (`SQLExecuteQueryOperator`), mapped over the rules; their rows go to the operator as is;
- **`max_records`**: a rule that suddenly flags more than `max_share` of its module is refused before any
  call;
- one `RemoveTagsOperator` per rule through dynamic task mapping (`expand_kwargs`), each returning every
  record's outcome and a `summary` XCom;
- an Airflow **pool**, `bigin_api`, sized to the org's cap on calls in flight (10 for Bigin, 5 on the free
  plan): each tag task takes as many slots as it keeps calls in flight, so that every task on every worker
  together stays under the cap; create it once with `airflow pools set bigin_api 10 "Zoho Bigin calls"`;
- a report that reads the summaries, and fails the run if any rule did not finish cleanly;
- **assets and lineage**: each tag task adds the asset of the module it changed (`bigin://{host}/Contacts`)
  to the alias in its outlets, with its figures as the event's extra, so that a DAG scheduled on that asset
  (`example_bigin_tag_changes`) runs after it; with OpenLineage installed, the rule queries report the
  mirror tables as inputs and the tag tasks the module as output.

Connections: `bigin_default` (Bigin) and `bigin_warehouse` (here SQLite: the queries use SQLite's date
functions). Trigger with `{"dry_run": true}` to plan every rule without writing to Bigin. `make demo` runs
this DAG against the bundled sandbox.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.common.compat.lineage.entities import Table
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator, SQLTableCheckOperator
from airflow.sdk import DAG, Param, TriggerRule, XComArg, get_current_context, task

from airflow_provider_bigin.lineage.assets import bigin_asset_alias
from airflow_provider_bigin.operators.tags import RemoveTagsOperator

log = logging.getLogger(__name__)

WAREHOUSE = "{{ params.warehouse_conn_id }}"
# Zoho caps the calls in flight per org, for every task together: the pool has as many slots as the cap, and
# each tag task takes one slot per call it keeps in flight, so that tasks on every worker stay under it.
BIGIN_POOL = "bigin_api"
CALLS_PER_TASK = 4


@dataclass(frozen=True)
class Rule:
    """A data-quality rule: which records of a mirror table break it, and the tag they must lose."""

    name: str
    module: str  # Bigin module API name
    tag: str
    table: str
    condition: str  # SQL over the table's rows, aliased `r`; may use DAG params

    def query(self) -> str:
        """The records that break the rule and still carry the tag: only those need a call."""
        # Table and condition are this file's constants; the module and tag go in as bound parameters.
        return f"""
            SELECT r.bigin_id
            FROM {self.table} AS r
            WHERE ({self.condition})
              AND r.bigin_id IN (
                  SELECT record_id FROM bigin_record_tags WHERE module = :module AND tag_name = :tag
              )
            ORDER BY r.bigin_id
        """  # noqa: S608


RULES = (
    Rule(
        "hard_bounced",
        "Contacts",
        "Newsletter",
        "bigin_contacts",
        "EXISTS (SELECT 1 FROM email_bounces AS b WHERE b.email = r.email AND b.bounce_type = 'hard')",
    ),
    Rule("opted_out", "Contacts", "Marketing", "bigin_contacts", "r.email_opt_out = 1"),
    Rule(
        "inactive",
        "Contacts",
        "Hot Lead",
        "bigin_contacts",
        "r.last_activity_at < datetime('now', '-{{ params.inactive_days }} days')",
    ),
    Rule("closed_lost", "Pipelines", "Follow-up", "bigin_deals", "r.stage = 'Closed Lost'"),
)
MIRROR_TABLES = ("bigin_contacts", "bigin_deals")
# What the rule queries read, for OpenLineage: SQLite's hook reports no tables itself (a warehouse whose hook
# supports OpenLineage, such as Postgres or Snowflake, reports them from the SQL and these are not used).
WAREHOUSE_TABLES = [
    Table(cluster="sqlite://bigin_warehouse", database="main", name=name)
    for name in (*MIRROR_TABLES, "bigin_record_tags", "email_bounces")
]
#: Each tag task adds here the asset of the module it changed: the rules span Contacts and Pipelines.
TAG_CHANGES = bigin_asset_alias("example_bigin_data_quality_tag_changes")

with DAG(
    dag_id="example_bigin_data_quality",
    description="SQL data-quality rules pick Bigin records; RemoveTagsOperator takes their tags off",
    doc_md=__doc__,
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # Airflow retries nothing by default: a transient Bigin failure (5xx, 429, a lost reply) that outlasts the
    # operator's own retries fails the task, and these try it again. Tag changes are idempotent, so a retry is
    # safe; permanent failures (bad input, an unknown id, a missing scope) fail at once without retries.
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["example", "bigin", "data-quality"],
    params={
        "warehouse_conn_id": Param("bigin_warehouse", type="string", description="the mirror's connection"),
        "max_mirror_age_hours": Param(24, type="integer", minimum=1, description="older: stop the run"),
        "inactive_days": Param(365, type="integer", minimum=1, description="quiet this long: not hot"),
        "max_share": Param(0.1, type="number", exclusiveMinimum=0, maximum=1, description="refuse above"),
        "dry_run": Param(False, type="boolean", description="plan every rule, write nothing to Bigin"),
    },
) as dag:
    mirror_is_usable = SQLTableCheckOperator.partial(
        task_id="mirror_is_usable",
        conn_id=WAREHOUSE,
        retries=0,  # an empty or stale mirror is a finding, not a fault: stop the run now
        checks={
            "not_empty": {"check_statement": "COUNT(*) > 0"},
            "fresh": {
                "check_statement": (
                    "MAX(synced_at) >= datetime('now', '-{{ params.max_mirror_age_hours }} hours')"
                )
            },
        },
    ).expand(table=list(MIRROR_TABLES))

    count_records = SQLExecuteQueryOperator(
        task_id="count_records",
        conn_id=WAREHOUSE,
        sql=(
            "SELECT 'Contacts', COUNT(*) FROM bigin_contacts "
            "UNION ALL SELECT 'Pipelines', COUNT(*) FROM bigin_deals"
        ),
    )

    find_rule_breakers = SQLExecuteQueryOperator.partial(
        task_id="find_rule_breakers",
        conn_id=WAREHOUSE,
        map_index_template="{{ task.parameters['tag'] }}",
        inlets=WAREHOUSE_TABLES,
    ).expand_kwargs(
        [{"sql": rule.query(), "parameters": {"module": rule.module, "tag": rule.tag}} for rule in RULES]
    )

    @task(show_return_value_in_logs=False)  # thousands of ids have no place in a log line
    def plan_removals(
        rule_breakers: Sequence[list[Sequence[str]]], counts: list[Sequence[Any]]
    ) -> list[dict[str, Any]]:
        """One RemoveTagsOperator call per rule, its rows passed on as the SQL returned them."""
        params = get_current_context()["params"]
        population = {str(module): int(count) for module, count in counts}
        plan = []
        # zip stops at the last rule: it never asks the lazy XCom sequence for an index past the end.
        for rule, rows in zip(RULES, rule_breakers):  # noqa: B905
            cap = math.floor(population[rule.module] * float(params["max_share"]))
            log.info("rule %s: %d %s to lose %r (cap %d)", rule.name, len(rows), rule.module, rule.tag, cap)
            plan.append(
                {
                    "module": rule.module,
                    "tag_names": [rule.tag],
                    "record_ids": rows,
                    "max_records": cap,
                    "dry_run": bool(params["dry_run"]),
                }
            )
        return plan

    # TaskFlow hands the tasks the XComs' values at run time; mypy only sees the XComArgs passed here.
    removals = plan_removals(find_rule_breakers.output, count_records.output)  # type: ignore[arg-type]

    remove_tags = RemoveTagsOperator.partial(
        task_id="remove_tags",
        pool=BIGIN_POOL,
        pool_slots=CALLS_PER_TASK,
        max_concurrency=CALLS_PER_TASK,
        on_partial_failure="fail",
        map_index_template="{{ task.module }}: {{ task.tag_names | join(', ') }}",
        outlets=[TAG_CHANGES],
    ).expand_kwargs(removals)

    @task(trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS, retries=0)  # it fails on purpose, for good
    def report(plan: list[dict[str, Any]], summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """One line per rule; fails the run if a rule was refused, failed, or left records failed."""
        # A slice reads every summary in one request; a rule refused before it could report has none.
        done = {(s["module"], tuple(s["tags"])): s for s in summaries[:]}
        lines: list[dict[str, Any]] = []
        for rule, step in zip(RULES, plan, strict=True):
            summary = done.get((rule.module, (rule.tag,)))
            lines.append(
                {
                    "rule": rule.name,
                    "module": rule.module,
                    "tag": rule.tag,
                    "flagged": len(step["record_ids"]),
                    "succeeded": summary["succeeded"] if summary else None,
                    "failed": summary["failed"] if summary else None,
                    "api_calls": summary["api_calls"] if summary else None,
                    "dry_run": step["dry_run"],
                }
            )
        for line in lines:
            log.info(
                "%-13s %-9s -%-11s flagged %4d  succeeded %4s  failed %4s  API calls %s",
                line["rule"],
                line["module"],
                line["tag"],
                line["flagged"],
                line["succeeded"],
                line["failed"],
                line["api_calls"],
            )
        unfinished = [line["rule"] for line in lines if line["succeeded"] is None or line["failed"]]
        if unfinished:
            raise RuntimeError(f"rules that did not finish cleanly: {', '.join(unfinished)}: see remove_tags")
        return lines

    report(removals, XComArg(remove_tags, key="summary"))  # type: ignore[arg-type]
    mirror_is_usable >> [count_records, find_rule_breakers]
