"""The soak: many ids across four modules under every fault at once, with tokens expiring and one lock-out.

The sandbox runs in its own process with the "soak" fault profile (15% 5xx, 10% 429, 3% dropped
connections, 2% replies slower than the client's timeout) and 30-second tokens (the short form: 10-second
ones), shorter than the minute the client uses any token for, so each is used until Bigin refuses it as
expired and then refreshed. Four module runs go concurrently, each a
BiginClient of its own sharing one file token cache, as four mapped tasks on one worker would. Another thread
expires every access token while calls are in flight (the 401 path, under load), then forces one token
lock-out a second before the next refresh is due, so that the clients meet it.

A run that meets the lock-out raises TokenBudgetExceededError with its partial outcome; the driver does what
a task retry would, waiting until the time the error names, then sends again only the ids with no final
result. A final result is Bigin's own verdict on a record (SUCCESS or INVALID_DATA); everything else (not
attempted, refused as a whole, transient failures that outlasted the retries) is sent again.

The expected state is computed from the seed alone, never read from the sandbox. At the end: the sandbox's
state equals it exactly, every id's final result agrees with it, no id got two final results, every HTTP
request was counted once, and the token endpoint said Access Denied once: to the forced lock-out.

``python -m tests.reliability.soak --full`` runs the 200,000-id form and prints the figures; the short form
(10,000 ids in small calls with some latency, so that it outlives a token refresh) runs in ``make test``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_bigin.client import BiginClient, ClientSettings, FileTokenStore, RetryPolicy
from airflow_provider_bigin.client.results import RecordResult, TagOutcome
from airflow_provider_bigin.client.tokens.source import forget_process_tokens
from airflow_provider_bigin.errors import TokenBudgetExceededError
from airflow_provider_bigin.sandbox import Sandbox

DEFAULT_SEED = 6338
MODULES = ("Contacts", "Pipelines", "Accounts", "Products")
# Distinct even ignoring case, so that Bigin's case-insensitive tag matching cannot blur the expected state.
VOCABULARY = (
    "Newsletter", "Marketing", "Hot Lead", "Follow-up", "VIP", "From Email", "In Progress", "From Webforms",
    "Stale", "Bounced", "Duplicate", "Churn Risk", "Trial", "Partner", "Reviewed", "Keep",
)  # fmt: skip
# What each module's run does. Contacts removes twelve tags: two tag groups per chunk of ids.
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Contacts": ("remove_tags", VOCABULARY[:12]),
    "Pipelines": ("remove_tags", ("Stale", "Hot Lead")),
    "Accounts": ("add_tags", ("Reviewed", "Partner")),
    "Products": ("add_tags", ("Trial",)),
}
UNKNOWN_EVERY = 1000  # one id in a thousand names no record: a per-record INVALID_DATA
DUPLICATE_EVERY = 500  # one id in five hundred is sent twice: merged, one result
FINAL_CODES = frozenset({"SUCCESS", "INVALID_DATA"})  # Bigin's own verdicts on a record
TAG_CALLS = ("remove_tags", "remove_tags_one", "add_tags", "add_tags_one")

LOCKOUT_LEAD_SECONDS = 1.0  # the lock-out starts this long after the grant that followed the expiry ...
LOCKOUT_SECONDS = 4.0  # ... and lasts this long (Zoho's last 15 to 30 minutes: too long for a soak)
CLIENT_TIMEOUT_SECONDS = 2.0  # the "soak" profile's slow replies take 5 s
MAX_TRIES = 4  # runs per module: the first, and the re-sends a task retry would make
# 30% of attempts fail, so a call fails 12 times in a row about once in two million calls.
SOAK_RETRY = RetryPolicy(max_attempts=12, initial_wait=0.05, max_wait=1.0, max_elapsed=90.0)


@dataclass(frozen=True)
class Shape:
    """How big and how fast a soak is."""

    ids_total: int
    ids_per_call: int  # at most 500, Bigin's limit
    concurrency_per_module: int
    latency_ms: float  # the sandbox's latency per call, with a fifth of it as jitter
    token_ttl: float  # seconds an access token lives


# Both forms wait a Zoho-like latency per call: the runs must outlive the first token refresh, whatever
# the machine's speed (at zero latency the full form takes about 15 s here).
FULL = Shape(ids_total=200_000, ids_per_call=500, concurrency_per_module=4, latency_ms=500, token_ttl=30)
# CI's form: small calls, so a few hundred of them; 10-second tokens, so that it outlives a refresh and still
# asks for fewer than Zoho's 10 tokens per 10 minutes on a machine several times slower.
SHORT = Shape(ids_total=10_000, ids_per_call=50, concurrency_per_module=4, latency_ms=250, token_ttl=10)

Tags = tuple[str, ...]


@dataclass(frozen=True)
class Workload:
    """Everything the seed decides: the records, what each run is asked, and how it all must end."""

    records: Mapping[str, Mapping[str, Tags]]  # module -> id -> tags at the start
    id_lists: Mapping[str, Sequence[str]]  # module -> the ids as sent: shuffled, unknowns, duplicates
    expected_state: Mapping[str, Mapping[str, Tags]]  # module -> id -> sorted tags at the end
    expected_codes: Mapping[str, Mapping[str, str]]  # module -> distinct id -> its final code

    @property
    def ids_sent(self) -> int:
        return sum(len(ids) for ids in self.id_lists.values())

    @property
    def distinct_ids(self) -> int:
        return sum(len(codes) for codes in self.expected_codes.values())

    def seed_document(self) -> dict[str, Any]:
        """The sandbox's seed: these records only, nothing from the demo data."""
        return {
            "base": "empty",
            "records": {
                module: [{"id": record_id, "Tag": list(tags)} for record_id, tags in records.items()]
                for module, records in self.records.items()
            },
        }


def build_workload(ids_per_module: int, seed: int = DEFAULT_SEED) -> Workload:
    """Records, id lists and the expected end, from the seed alone."""
    rng = random.Random(seed)
    records: dict[str, dict[str, Tags]] = {}
    id_lists: dict[str, list[str]] = {}
    expected_state: dict[str, dict[str, Tags]] = {}
    expected_codes: dict[str, dict[str, str]] = {}
    for position, module in enumerate(MODULES):
        base = 5_000_000_000_000_000_000 + position * 10**15
        known = [str(base + n) for n in range(ids_per_module)]
        records[module] = {record_id: tuple(rng.sample(VOCABULARY, rng.randint(1, 6))) for record_id in known}
        ids = list(known)
        rng.shuffle(ids)
        sent: list[str] = []
        for n, record_id in enumerate(ids):
            sent.append(record_id)
            if n % UNKNOWN_EVERY == 0:
                sent.append(str(base + 10**12 + n))  # in no seed: INVALID_DATA
            if n % DUPLICATE_EVERY == 7:
                sent.append(ids[n // 2])  # seen before: merged into the first
        id_lists[module] = sent
        action, tags = ACTIONS[module]
        expected_state[module] = {
            record_id: _after(action, tags, start) for record_id, start in records[module].items()
        }
        expected_codes[module] = {
            record_id: "SUCCESS" if record_id in records[module] else "INVALID_DATA"
            for record_id in dict.fromkeys(sent)
        }
    return Workload(records, id_lists, expected_state, expected_codes)


def _after(action: str, tags: Tags, start: Tags) -> Tags:
    if action == "remove_tags":
        return tuple(sorted(tag for tag in start if tag not in tags))
    return tuple(sorted(set(start) | set(tags)))


@dataclass
class ModuleRun:
    """One module's run over its tries: the final result of each id, and what each try cost."""

    module: str
    final: dict[str, RecordResult] = field(default_factory=dict)
    twice: list[str] = field(default_factory=list)  # ids that got a second final result (must stay empty)
    tries: int = 0
    api_calls: int = 0
    retries: int = 0
    budget_errors: list[str] = field(default_factory=list)  # messages of TokenBudgetExceededError
    first_order: list[str] = field(default_factory=list)  # the ids of the first try's results, in order
    crash: str | None = None  # an exception other than the budget's, which ends the module's run

    def settle(self, outcome: TagOutcome) -> list[str]:
        """Keep the final results of one try; return the ids to send again."""
        self.tries += 1
        self.api_calls += outcome.summary.api_calls
        self.retries += outcome.summary.retries
        if self.tries == 1:
            self.first_order = [result.id for result in outcome.results]
        again: list[str] = []
        for result in outcome.results:
            if result.code not in FINAL_CODES:
                again.append(result.id)
            elif result.id in self.final:
                self.twice.append(result.id)
            else:
                self.final[result.id] = result
        return again


@dataclass
class SoakResult:
    """What the soak measured, and the sandbox's state at the end."""

    workload: Workload
    runs: dict[str, ModuleRun]
    state: dict[str, dict[str, Tags]]  # module -> id -> sorted tags, read back from the sandbox
    stats: dict[str, Any]
    seconds: float
    events: list[str]
    lockout_forced: bool

    @property
    def api_calls(self) -> int:
        return sum(run.api_calls for run in self.runs.values())

    @property
    def retries(self) -> int:
        return sum(run.retries for run in self.runs.values())

    @property
    def sandbox_tag_calls(self) -> int:
        calls = self.stats["calls"]
        return sum(int(calls.get(name, 0)) for name in TAG_CALLS)

    def figures(self) -> str:
        stats, faults = self.stats, self.stats.get("faults", {})
        ids = self.workload.ids_sent
        lines = [
            f"soak: {ids:,} ids sent ({self.workload.distinct_ids:,} distinct) over {len(self.runs)} modules "
            f"in {self.seconds:.1f} s ({ids / self.seconds:,.0f} ids/s)",
            f"  API calls {self.api_calls:,} (sandbox saw {self.sandbox_tag_calls:,}), of which retries "
            f"{self.retries:,}; tries per module "
            + ", ".join(f"{m} {r.tries}" for m, r in self.runs.items()),
            "  faults met: "
            + ", ".join(f"{kind} {faults.get(kind, 0)}" for kind in ("5xx", "429", "drop", "slow"))
            + f"; HTTP 401 {stats.get('status_codes', {}).get('401', 0)}",
            f"  token grants {stats['token_grants']}, Access Denied {stats['access_denied']}, "
            f"budget errors raised {sum(len(r.budget_errors) for r in self.runs.values())}",
            "  events: " + "; ".join(self.events),
        ]
        return "\n".join(lines)


def problems(result: SoakResult) -> list[str]:
    """Every way the soak's end differs from what the provider promises; empty when it kept its word."""
    found: list[str] = []
    workload = result.workload
    for module in MODULES:
        run, expected = result.runs[module], workload.expected_state[module]
        state = result.state[module]
        wrong = [record_id for record_id in expected if state.get(record_id) != expected[record_id]]
        if wrong or set(state) != set(expected):
            found.append(f"{module}: {len(wrong)} records differ from the expected state, e.g. {wrong[:3]}")
        codes = {record_id: r.code for record_id, r in run.final.items()}
        if codes != dict(workload.expected_codes[module]):
            missing = set(workload.expected_codes[module]) - set(codes)
            found.append(f"{module}: final results disagree with the expected ones ({len(missing)} missing)")
        if run.twice:
            found.append(f"{module}: {len(run.twice)} ids got two final results, e.g. {run.twice[:3]}")
        if run.first_order != list(workload.expected_codes[module]):
            found.append(f"{module}: the results are not one per distinct id in input order")
        if run.crash is not None:
            found.append(f"{module}: the run crashed: {run.crash}")
    if result.api_calls != result.sandbox_tag_calls:
        found.append(
            f"the client counted {result.api_calls} API calls, the sandbox saw {result.sandbox_tag_calls}"
        )
    if not result.lockout_forced:
        found.append("the run ended before the token refresh that the lock-out was meant for")
    if result.stats["access_denied"] != 1:
        found.append(f"the token endpoint said Access Denied {result.stats['access_denied']} times, not once")
    return found


class Director(threading.Thread):
    """From its own thread: expires every access token mid-run, then forces one lock-out.

    The expiry comes while calls are in flight, so that some meet a 401 and the client refreshes under load.
    A second after the grant that follows, the lock-out is forced and every token expired again: the next
    calls meet a 401, the refresh they trigger meets Access Denied, and the lock-out is recorded in the
    shared cache so that no other client asks before it ends. (Tokens of a soak live less than the minute
    the client uses any token for, so the clock never refreshes them: Bigin's 401 does.)
    """

    def __init__(self, sandbox: Sandbox, shape: Shape, events: list[str], started: float) -> None:
        super().__init__(name="soak-director", daemon=True)
        self.sandbox = sandbox
        self.shape = shape
        self.events = events
        self.started = started
        self.done = threading.Event()
        self.forced = False

    def _note(self, what: str) -> None:
        self.events.append(f"{what} at {time.monotonic() - self.started:.1f} s")

    def _grant_after(self, grants: int) -> float | None:
        """When the grant after the first ``grants`` was seen; None if the run ended first."""
        while int(self.sandbox.stats()["token_grants"]) <= grants:
            if self.done.wait(0.02):
                return None
        return time.monotonic()

    def run(self) -> None:
        first = self._grant_after(0)
        if first is None or self.done.wait(self.shape.token_ttl / 5):
            return
        grants = int(self.sandbox.stats()["token_grants"])
        self.sandbox.expire_access_tokens()
        self._note("every access token expired")
        renewed = self._grant_after(grants)
        if renewed is None or self.done.wait(LOCKOUT_LEAD_SECONDS):
            return  # the run ended first: problems() reports the lock-out as never met
        self.sandbox.force_lockout(seconds=LOCKOUT_SECONDS)
        self.sandbox.expire_access_tokens()
        self.forced = True
        self._note(
            f"lock-out forced for {LOCKOUT_SECONDS:.0f} s and every token expired, "
            f"{time.monotonic() - renewed:.1f} s after a grant"
        )


def _client(sandbox: Sandbox, token_dir: Path, shape: Shape) -> BiginClient:
    connection = sandbox.connection()
    extra = {
        **connection["extra"],
        "timeout": CLIENT_TIMEOUT_SECONDS,
        "max_concurrency": shape.concurrency_per_module,
    }
    settings = ClientSettings.from_connection(
        login=connection["login"], password=connection["password"], extra=extra
    )
    client = BiginClient(
        settings,
        token_store=FileTokenStore(token_dir),
        retry=SOAK_RETRY,
        lockout_wait_seconds=1.0,
        max_ids_per_call=shape.ids_per_call,
        # The soak's 429s are drawn at random, a fault rather than a cap: the adaptive limit would take them
        # for one and stretch the run past the 10-second tokens' budget. Its own tests are elsewhere
        # (tests/client/test_concurrency.py, the shared-cap benchmark); here, every fault at a fixed pace.
        adaptive_concurrency=False,
    )
    # The forced lock-out is shorter than Zoho's 15 minutes; tell the token source so, as a deployment
    # whose Zoho blocks for 30 minutes would say 30.
    client.tokens.lockout_seconds = LOCKOUT_SECONDS
    return client


def _run_module(client: BiginClient, module: str, ids: Sequence[str], run: ModuleRun) -> None:
    try:
        _tries(client, module, ids, run)
    except Exception as error:  # reported as a problem, with the figures, instead of a lost thread
        run.crash = f"{type(error).__name__}: {error}"


def _tries(client: BiginClient, module: str, ids: Sequence[str], run: ModuleRun) -> None:
    action, tags = ACTIONS[module]
    pending: Sequence[str] = ids
    while pending and run.tries < MAX_TRIES:
        try:
            outcome = client.run(client.plan(action, module, pending, tags))
        except TokenBudgetExceededError as error:
            run.budget_errors.append(error.message)
            if error.outcome is None:
                raise
            pending = run.settle(error.outcome)
            time.sleep(error.retry_after_seconds + 0.2)  # as a task retry would: after the time it names
            continue
        pending = run.settle(outcome)


def run_soak(
    shape: Shape = SHORT, *, seed: int = DEFAULT_SEED, progress: Callable[[str], None] = print
) -> SoakResult:
    """Run the soak and read the sandbox's state back; ``problems(result)`` says what went wrong."""
    workload = build_workload(shape.ids_total // len(MODULES), seed)
    progress(f"soak: {workload.ids_sent:,} ids over {len(MODULES)} modules; starting the sandbox process")
    forget_process_tokens()
    events: list[str] = []
    runs = {module: ModuleRun(module) for module in MODULES}
    with (
        tempfile.TemporaryDirectory(prefix="bigin-soak-tokens-") as token_dir,
        Sandbox(
            seed=workload.seed_document(),
            faults="soak",
            fault_seed=seed,
            latency_ms=shape.latency_ms,
            token_ttl=shape.token_ttl,
            process=True,
            startup_timeout=180,
        ) as sandbox,
    ):
        clients = {module: _client(sandbox, Path(token_dir), shape) for module in MODULES}
        started = time.monotonic()
        director = Director(sandbox, shape, events, started)
        director.start()
        threads = [
            threading.Thread(
                target=_run_module,
                args=(clients[module], module, workload.id_lists[module], runs[module]),
                name=f"soak-{module}",
            )
            for module in MODULES
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        director.done.set()
        director.join()
        for client in clients.values():
            client.close()
        stats = sandbox.stats()
        state = {
            module: {
                record_id: tuple(sorted(tag["name"] for tag in record.get("Tag") or ()))
                for record_id, record in sandbox.records(module).items()
            }
            for module in MODULES
        }
    forget_process_tokens()
    return SoakResult(workload, runs, state, stats, seconds, events, director.forced)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--full", action="store_true", help=f"{FULL.ids_total:,} ids, not {SHORT.ids_total:,}"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    options = parser.parse_args(argv)
    result = run_soak(FULL if options.full else SHORT, seed=options.seed)
    print(result.figures())
    found = problems(result)
    for problem in found:
        print(f"PROBLEM: {problem}")
    print("soak: the provider kept its word" if not found else f"soak: {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
