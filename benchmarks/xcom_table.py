"""What a run's XComs take in Airflow's metadata database (SQLite): bytes per (task, key), read-only.

Read straight from the ``xcom`` table, so it counts what Airflow stored there, whatever an XCom backend keeps
elsewhere (the object-storage backend leaves a path in the row).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def xcom_bytes(database: Path, dag_id: str, run_id: str) -> dict[tuple[str, str], int]:
    """Bytes of each XCom row of one run, by (task_id, key); a row absent is no key."""
    with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=30)) as db:
        rows = db.execute(
            "SELECT task_id, key, length(CAST(value AS BLOB)) FROM xcom WHERE dag_id = ? AND run_id = ?",
            (dag_id, run_id),
        ).fetchall()
    return {(str(task), str(key)): int(size or 0) for task, key, size in rows}
