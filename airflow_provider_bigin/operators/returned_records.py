"""Which records a tag operator's return_value holds: all, the failed ones, or none.

Every XCom travels through the Execution API, whose requests time out after 5 seconds by default: the
outcome of 100,000 records (about 20 MB of JSON) misses that on a real deployment, although Bigin did
everything asked. So the default, "auto", returns every record only up to a size that always fits, and above
it only the failed ones (at most that many); every record's outcome can go to `results_path` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_bigin.client.plurals import count_noun
from airflow_provider_bigin.errors import InvalidInputError

AUTO, ALL, FAILED, NONE = "auto", "all", "failed", "none"
RETURN_CHOICES = (AUTO, ALL, FAILED, NONE)
#: "auto" returns every record up to this many (about 4 MB of JSON), and never more records than this.
AUTO_ALL_UP_TO = 20_000


def check_return_records(value: object) -> str:
    """The choice, lower-cased; a clear error for anything else."""
    if not isinstance(value, str) or value.strip().lower() not in RETURN_CHOICES:
        choices = ", ".join(repr(choice) for choice in RETURN_CHOICES)
        raise InvalidInputError(f"return_records must be one of {choices}, not {value!r}.")
    return value.strip().lower()


@dataclass(frozen=True)
class ReturnChoice:
    """What return_value holds for one run (`mode`: all, failed or none), at most `limit` records, and why."""

    mode: str
    reason: str
    limit: int | None = None

    @property
    def keeps_all(self) -> bool:
        return self.mode == ALL


def choose_return(requested: str, records: int) -> ReturnChoice:
    """The choice for a run of `records` distinct ids."""
    if requested != AUTO:
        return ReturnChoice(requested, f"return_records={requested!r}")
    if records <= AUTO_ALL_UP_TO:
        counted = count_noun(records, "record", thousands=True)
        return ReturnChoice(ALL, f"return_records='auto': {counted}, at most {AUTO_ALL_UP_TO:,}")
    return ReturnChoice(
        FAILED,
        f"return_records='auto': {records:,} records, more than {AUTO_ALL_UP_TO:,}, so only the failed ones "
        f"(at most {AUTO_ALL_UP_TO:,})",
        limit=AUTO_ALL_UP_TO,
    )


def auto_warning(choice: ReturnChoice, results_path: str | None) -> str:
    """The one WARNING of an "auto" run that returns less than every record."""
    where = (
        f"every record's outcome is in {results_path}"
        if results_path
        else "set results_path to keep every record's outcome in object storage"
    )
    return (
        f"{choice.reason}: return_value holds the records that did not succeed, not every record, so that "
        f"the XCom stays small enough for the Execution API; {where}. Other choices: return_records='all' "
        "(with an object-storage XCom backend for large values), 'failed' or 'none'."
    )
