"""Measure a sandbox's capacity: Remove Tags calls per second at zero latency, from many concurrent clients.

``python -m benchmarks.sandbox_capacity [--seconds 5] [--clients 8]`` starts a sandbox in a subprocess (so
that the clients' threads do not share its interpreter lock), takes a token from it, and has each client
thread send Remove Tags calls (10 ids, 2 tags) over its own pooled ``requests.Session``. Removing tags is
idempotent, so every call after the first does the same work.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests

from airflow_provider_bigin.sandbox import Sandbox

DEFAULT_SECONDS = 5.0
DEFAULT_CLIENTS = 8


@dataclass(frozen=True)
class CapacityReport:
    calls: int
    errors: int
    seconds: float
    clients: int
    ids_per_call: int

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (
            f"{self.calls_per_second:.0f} calls/s: {self.calls} Remove Tags calls of {self.ids_per_call} ids "
            f"in {self.seconds:.1f} s from {self.clients} concurrent clients, {self.errors} errors"
        )


def measure_capacity(
    url: str,
    access_token: str,
    record_ids: Sequence[str],
    *,
    seconds: float = DEFAULT_SECONDS,
    clients: int = DEFAULT_CLIENTS,
    tag_names: str = "Newsletter,Marketing",
) -> CapacityReport:
    """Hammer ``url`` for ``seconds`` with ``clients`` threads; count replies with HTTP 2xx."""
    endpoint = f"{url}/bigin/v2/Contacts/actions/remove_tags"
    params = {"ids": ",".join(record_ids), "tag_names": tag_names}
    headers = {"Authorization": f"Zoho-oauthtoken {access_token}"}
    counts = [[0, 0] for _ in range(clients)]  # [ok, errors] per thread: no shared counter, no lock
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(slot: list[int]) -> None:
        with requests.Session() as session:
            session.trust_env = False  # never through a proxy: the sandbox is on loopback
            start.wait()
            while not stop.is_set():
                try:
                    reply = session.post(endpoint, params=params, headers=headers, timeout=30)
                    slot[0 if reply.ok else 1] += 1
                except requests.RequestException:
                    slot[1] += 1

    threads = [threading.Thread(target=client, args=(slot,), daemon=True) for slot in counts]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return CapacityReport(
        calls=sum(ok for ok, _ in counts),
        errors=sum(errors for _, errors in counts),
        seconds=elapsed,
        clients=clients,
        ids_per_call=len(record_ids),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    args = parser.parse_args(argv)
    with Sandbox(process=True) as sandbox:
        record_ids = list(sandbox.records("Contacts"))[:10]
        report = measure_capacity(
            sandbox.url, sandbox.fetch_access_token(), record_ids, seconds=args.seconds, clients=args.clients
        )
        served = sandbox.stats()["calls"].get("remove_tags", 0)
    print(report.summary())
    print(f"the sandbox counted {served} remove_tags calls")
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
