"""A SQLite warehouse that mirrors the sandbox's Bigin contacts and deals, as a data team's warehouse would.

The example DAGs run their data-quality rules against it. Everything the CRM itself holds (ids, emails, the
opt-out flag, deal stages, tags) is copied from the records the sandbox serves, so the mirror matches the CRM
record for record. The facts that would come from other systems (hard bounces from the email platform, last
activity from the product's event log) are derived from a hash of the record id: the same on every build, and
sized so that every rule flags a plausible handful of records.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

WAREHOUSE_CONN_ID = "bigin_warehouse"

# The mirror's tables. `synced_at` is when the sync job last copied a row: the DAG's freshness gate reads it.
SCHEMA = """
CREATE TABLE bigin_contacts (
    bigin_id          TEXT PRIMARY KEY,  -- 19-digit ids stay text: they do not survive a float
    email             TEXT NOT NULL,
    first_name        TEXT,
    last_name         TEXT,
    email_opt_out     INTEGER NOT NULL,  -- Bigin's Email_Opt_Out
    last_activity_at  TEXT NOT NULL,     -- from the product's event log, UTC 'YYYY-MM-DD HH:MM:SS'
    synced_at         TEXT NOT NULL
);
CREATE TABLE bigin_deals (
    bigin_id          TEXT PRIMARY KEY,
    deal_name         TEXT,
    stage             TEXT NOT NULL,
    amount            INTEGER,
    closing_date      TEXT,
    contact_id        TEXT,
    synced_at         TEXT NOT NULL
);
CREATE TABLE bigin_record_tags (
    module            TEXT NOT NULL,     -- Bigin module API name: Contacts, Pipelines
    record_id         TEXT NOT NULL,
    tag_name          TEXT NOT NULL,
    PRIMARY KEY (module, record_id, tag_name)
);
CREATE TABLE email_bounces (
    email             TEXT NOT NULL,     -- from the email platform, joined to contacts by address
    bounce_type       TEXT NOT NULL,     -- 'hard' or 'soft'
    bounced_at        TEXT NOT NULL
);
"""

# Shares of contacts, in basis points of a hash of the id, that carry each derived fact.
HARD_BOUNCE_BP = 600  # 6% hard-bounced
SOFT_BOUNCE_BP = 500  # a further 5% soft-bounced: no rule acts on those
INACTIVE_BP = 1800  # 18% quiet for 400 to 899 days; the rest were active within the last 300 days
INACTIVE_DAYS = (400, 899)
ACTIVE_DAYS = (1, 300)


@dataclass(frozen=True)
class WarehouseSummary:
    """What one build wrote."""

    path: Path
    contacts: int
    deals: int
    tag_rows: int
    bounces: int
    synced_at: str


def _basis_points(record_id: str, fact: str) -> int:
    """A stable number in [0, 10000) for one fact about one record: the build's only source of chance."""
    digest = hashlib.sha256(f"{fact}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def _timestamp(moment: datetime) -> str:
    """UTC in the text form SQLite's datetime('now', ...) produces, so plain comparisons work."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def last_activity(record_id: str, now: datetime) -> datetime:
    """When the event log last saw this contact: long ago for about INACTIVE_BP of them."""
    points = _basis_points(record_id, "activity")
    low, high = INACTIVE_DAYS if points < INACTIVE_BP else ACTIVE_DAYS
    return now - timedelta(days=low + points % (high - low + 1))


def bounce_type(record_id: str) -> str | None:
    """The email platform's bounce on this contact's address, if any."""
    points = _basis_points(record_id, "bounce")
    if points < HARD_BOUNCE_BP:
        return "hard"
    if points < HARD_BOUNCE_BP + SOFT_BOUNCE_BP:
        return "soft"
    return None


def _lookup_id(value: Any) -> str | None:
    """A Bigin lookup field is {"name", "id"}; the mirror keeps the id."""
    return str(value["id"]) if isinstance(value, Mapping) and "id" in value else None


def _tag_rows(module: str, records: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [
        (module, str(record["id"]), str(tag["name"])) for record in records for tag in record.get("Tag") or ()
    ]


def build_warehouse(
    path: Path,
    records: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    now: datetime | None = None,
) -> WarehouseSummary:
    """Write a fresh mirror of ``records["Contacts"]`` and ``records["Pipelines"]`` to the SQLite ``path``.

    ``records`` holds records as Bigin's GET returns them (``sandbox.records(module).values()``, or the
    sandbox's ``demo_records()``). An existing file is replaced, so a rerun starts from the same state.
    """
    now = now or datetime.now(timezone.utc)
    synced_at = _timestamp(now)
    contacts = list(records.get("Contacts", ()))
    deals = list(records.get("Pipelines", ()))
    path.unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as db, db:  # closes the file; the inner `db` commits
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO bigin_contacts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(c["id"]),
                    str(c.get("Email") or ""),
                    c.get("First_Name"),
                    c.get("Last_Name"),
                    int(bool(c.get("Email_Opt_Out"))),
                    _timestamp(last_activity(str(c["id"]), now)),
                    synced_at,
                )
                for c in contacts
            ],
        )
        db.executemany(
            "INSERT INTO bigin_deals VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    str(d["id"]),
                    d.get("Deal_Name"),
                    str(d.get("Stage") or ""),
                    d.get("Amount"),
                    d.get("Closing_Date"),
                    _lookup_id(d.get("Contact_Name")),
                    synced_at,
                )
                for d in deals
            ],
        )
        tags = _tag_rows("Contacts", contacts) + _tag_rows("Pipelines", deals)
        db.executemany("INSERT OR IGNORE INTO bigin_record_tags VALUES (?, ?, ?)", tags)
        bounces = [
            (str(c.get("Email") or ""), kind, _timestamp(now - timedelta(days=3)))
            for c in contacts
            if (kind := bounce_type(str(c["id"]))) is not None
        ]
        db.executemany("INSERT INTO email_bounces VALUES (?, ?, ?)", bounces)
    return WarehouseSummary(path, len(contacts), len(deals), len(tags), len(bounces), synced_at)


def warehouse_connection(path: Path) -> dict[str, str]:
    """The Airflow connection (sqlite provider) that points at the mirror."""
    return {"conn_type": "sqlite", "host": str(path)}


def warehouse_connection_env(path: Path, conn_id: str = WAREHOUSE_CONN_ID) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` for the mirror, as tests and the demo pass connections."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(warehouse_connection(path))}
