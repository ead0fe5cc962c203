"""Scenario 1: remove tags from N records three ways, side by side, against one sandbox process.

(a) this provider's client; (b) the per-record loop of hand-written DAGs; (c) Airflow's HttpHook in chunks of
500. Before each run the sandbox goes back to its seed (every record carries the tags again) and its counters
to zero, so each run's calls, grants and credits are its own. The per-record loop is run for real up to
`loop_real_max` records; above that it runs on a sample and its time is extrapolated from the measured
per-call time (its calls, grants and credits are exact by construction: one call per record, one grant).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from airflow_provider_bigin.sandbox import Sandbox
from benchmarks.bare_calls import send_bare
from benchmarks.conditions import MAX_IDS_PER_CALL, BenchConditions
from benchmarks.http_hook_batches import remove_tags_with_http_hook
from benchmarks.per_record_loop import remove_tags_one_by_one
from benchmarks.provider_client import remove_tags_with_client
from benchmarks.seeding import KEPT_TAG, bench_sandbox, bench_seed, record_ids
from benchmarks.zoho_cost import ZohoCost

WAYS = {
    "a": "this provider's client",
    "b": "per-record loop (hand-written DAG)",
    "c": "HttpHook, 500 ids per call",
}
SERVICE_SAMPLES = 9  # full calls sent alone to time the sandbox's own work per call
# Records whose tags are read back after each real run: first, middle, last.
_CHECKED_POSITIONS = (0, 0.5, 1)


@dataclass(frozen=True)
class WayRun:
    """One way at one N: what it cost Zoho and how long it took."""

    way: str
    size: int
    calls: int
    token_grants: int
    credits: int
    seconds: float
    rejected: int = 0  # 429s from the concurrency cap (each one re-sent by the client)
    retries: int = 0
    failed: int = 0
    sample: int = 0  # records really sent; less than size when extrapolated
    max_concurrency_seen: int = 0
    cpu_seconds: float = 0.0  # the measuring process's CPU time, for (a)

    @property
    def extrapolated(self) -> bool:
        return self.sample < self.size

    @property
    def records_per_second(self) -> float:
        return self.size / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class TagRemovalResult:
    conditions: BenchConditions
    runs: tuple[WayRun, ...]  # every run, repeats included
    service_seconds: dict[int, float]  # by N: the sandbox's time to serve one full call alone, just before
    bare_seconds: dict[
        int, tuple[float, ...]
    ]  # by N: the floor's calls sent bare (bare_calls.py), per repeat

    def service_bound_seconds(self, size: int) -> float:
        """The sandbox serves one request at a time (one event loop): its calls take at least this long."""
        return self.conditions.floor_calls(size) * self.service_seconds[size]

    def bare_median(self, size: int) -> float:
        return statistics.median(self.bare_seconds[size])

    def repeats(self, way: str, size: int) -> list[WayRun]:
        runs = [run for run in self.runs if run.way == way and run.size == size]
        if not runs:
            raise KeyError((way, size))
        return runs

    def run(self, way: str, size: int) -> WayRun:
        """The run of median time among the repeats (the counts of every repeat are in `repeats`)."""
        runs = sorted(self.repeats(way, size), key=lambda run: run.seconds)
        return runs[(len(runs) - 1) // 2]


def _credentials(connection: Mapping[str, Any]) -> dict[str, str]:
    extra = connection["extra"]
    return {
        "accounts_url": extra["accounts_url"],
        "api_domain": extra["api_domain"],
        "client_id": connection["login"],
        "client_secret": connection["password"],
        "refresh_token": extra["refresh_token"],
    }


def _service_time(sb: Sandbox, conditions: BenchConditions, ids: Sequence[str], size: int) -> float:
    """The median time of one full call sent alone at zero latency: the sandbox's own work per call.

    The sandbox is one event loop: however many calls are in flight, their processing takes turns, so a run
    of C calls cannot finish sooner than C times this, whatever the latency and the client.
    """
    sb.set_latency(0)
    token = sb.fetch_access_token()
    chunk = list(ids[: min(size, MAX_IDS_PER_CALL)])
    times = []
    with requests.Session() as session:
        for _ in range(SERVICE_SAMPLES):
            started = time.perf_counter()
            response = session.post(
                f"{sb.url}/bigin/v2/{conditions.module}/actions/remove_tags",
                params={"ids": ",".join(chunk), "tag_names": ",".join(conditions.tags)},
                headers={"Authorization": f"Zoho-oauthtoken {token}"},
                timeout=30,
            )
            response.json()
            times.append(time.perf_counter() - started)
    sb.reset()  # the latency it started with, the tags, the counters
    return statistics.median(times)


def _check_removed(sb: Sandbox, module: str, ids: Sequence[str], tags: Sequence[str]) -> None:
    """A benchmark of a run that did not work would be meaningless: read some records back."""
    removed = {tag.casefold() for tag in tags}
    for position in _CHECKED_POSITIONS:
        record_id = ids[round(position * (len(ids) - 1))]
        left = sb.tags(module, record_id)
        if removed & {tag.casefold() for tag in left} or KEPT_TAG not in left:
            raise AssertionError(f"record {record_id} carries {left} after removing {list(tags)}")


def _measure(sb: Sandbox, action: Callable[[], Any]) -> tuple[Any, ZohoCost]:
    sb.reset()
    timing = action()
    return timing, ZohoCost.from_stats(sb.stats())


def _run_client(sb: Sandbox, conditions: BenchConditions, ids: list[str], token_dir: Path) -> WayRun:
    connection = sb.connection()
    timing, cost = _measure(
        sb,
        lambda: remove_tags_with_client(
            connection,
            module=conditions.module,
            record_ids=ids,
            tags=conditions.tags,
            max_concurrency=conditions.max_concurrency,
            token_directory=Path(tempfile.mkdtemp(dir=token_dir)),
        ),
    )
    _check_removed(sb, conditions.module, ids, conditions.tags)
    return WayRun(
        way="a",
        size=len(ids),
        calls=cost.api_calls,
        token_grants=cost.token_grants,
        credits=cost.credits,
        seconds=timing.seconds,
        rejected=cost.rejected,
        retries=timing.retries,
        failed=timing.failed,
        sample=len(ids),
        max_concurrency_seen=cost.max_concurrency_seen,
        cpu_seconds=timing.cpu_seconds,
    )


def _run_loop(sb: Sandbox, conditions: BenchConditions, ids: list[str]) -> WayRun:
    size = len(ids)
    sent = ids if size <= conditions.loop_real_max else ids[: conditions.loop_sample]
    credentials = _credentials(sb.connection())
    timing, cost = _measure(
        sb,
        lambda: remove_tags_one_by_one(
            **credentials, module=conditions.module, record_ids=sent, tags=conditions.tags
        ),
    )
    _check_removed(sb, conditions.module, sent, conditions.tags)
    if len(sent) == size:
        seconds, calls, credits = timing.seconds, cost.api_calls, cost.credits
    else:  # extrapolated: the same token, then `size` calls at the measured time and credits per call
        seconds = timing.token_seconds + size * timing.seconds_per_call
        calls = size
        credits = round(size * cost.credits / cost.api_calls)
    return WayRun(
        way="b",
        size=size,
        calls=calls,
        token_grants=cost.token_grants,
        credits=credits,
        seconds=seconds,
        rejected=cost.rejected,
        failed=timing.failed,
        sample=len(sent),
        max_concurrency_seen=cost.max_concurrency_seen,
    )


def _run_http_hook(sb: Sandbox, conditions: BenchConditions, ids: list[str]) -> WayRun:
    credentials = _credentials(sb.connection())
    timing, cost = _measure(
        sb,
        lambda: remove_tags_with_http_hook(
            **credentials, module=conditions.module, record_ids=ids, tags=conditions.tags
        ),
    )
    _check_removed(sb, conditions.module, ids, conditions.tags)
    return WayRun(
        way="c",
        size=len(ids),
        calls=cost.api_calls,
        token_grants=cost.token_grants,
        credits=cost.credits,
        seconds=timing.seconds,
        rejected=cost.rejected,
        sample=len(ids),
        max_concurrency_seen=cost.max_concurrency_seen,
    )


def _run_bare(sb: Sandbox, conditions: BenchConditions, ids: list[str]) -> float:
    """The bare calls, with one token grant first, as (a) has."""
    sb.reset()
    started = time.perf_counter()
    token = sb.fetch_access_token()
    token_seconds = time.perf_counter() - started
    return token_seconds + send_bare(
        api_domain=sb.url,
        token=token,
        module=conditions.module,
        record_ids=ids,
        tags=conditions.tags,
        concurrency=conditions.max_concurrency,
    )


def _progress_line(run: WayRun) -> str:
    note = f" (sample of {run.sample:,}, extrapolated)" if run.extrapolated else ""
    return (
        f"  N={run.size:>7,} ({run.way}) {run.calls:>7,} calls, {run.token_grants} grants, "
        f"{run.credits:>7,} credits, {run.seconds:8.2f} s{note}"
    )


def run_tag_removal(
    conditions: BenchConditions,
    *,
    progress: Callable[[str], None] = print,
    ways: tuple[str, ...] = tuple(WAYS),
) -> TagRemovalResult:
    """Every way in `ways` at every N, and the bare calls and the sandbox's time per call beside them."""
    largest = max(conditions.sizes)
    seed = bench_seed(conditions.module, largest, conditions.tags)
    all_ids = record_ids(largest)
    runs: list[WayRun] = []
    service_seconds: dict[int, float] = {}
    bare: dict[int, list[float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bigin-bench-tokens-") as token_root,
        bench_sandbox(conditions, seed) as sb,
    ):
        for size in conditions.sizes:
            ids = all_ids[:size]
            service_seconds[size] = _service_time(sb, conditions, all_ids, size)
            progress(
                f"  N={size:>7,} the sandbox serves a {min(size, MAX_IDS_PER_CALL)}-id call alone in "
                f"{service_seconds[size] * 1000:.1f} ms"
            )
            bare[size] = []
            for _ in range(conditions.repeats):  # (a) and (c) take turns, so that noise hits both alike
                bare[size].append(_run_bare(sb, conditions, ids))
                progress(f"  N={size:>7,} bare calls {bare[size][-1]:8.2f} s")
                if "a" in ways:
                    runs.append(_run_client(sb, conditions, ids, Path(token_root)))
                    progress(_progress_line(runs[-1]))
                if "c" in ways:
                    runs.append(_run_http_hook(sb, conditions, ids))
                    progress(_progress_line(runs[-1]))
            if "b" in ways:
                runs.append(_run_loop(sb, conditions, ids))
                progress(_progress_line(runs[-1]))
    return TagRemovalResult(
        conditions=conditions,
        runs=tuple(runs),
        service_seconds=service_seconds,
        bare_seconds={size: tuple(times) for size, times in bare.items()},
    )
