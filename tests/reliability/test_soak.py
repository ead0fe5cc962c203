"""The soak's short form, and two failures it found, each pinned down by a test of its own (both fixed).

The full form (200,000 ids) is ``python -m tests.reliability.soak --full``; see soak.py for the design.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.tokens.source import forget_process_tokens
from airflow_provider_bigin.errors import BiginError
from airflow_provider_bigin.sandbox import Sandbox
from tests.reliability.soak import MODULES, SHORT, problems, run_soak

# Zoho's budget: 10 access tokens per refresh token in any 10 minutes (docs/zoho-facts.md, section 3).
TOKEN_BUDGET = 10


@pytest.mark.slow
def test_soak_under_every_fault_ends_in_exactly_the_expected_state() -> None:
    result = run_soak(SHORT, progress=lambda line: None)
    print(result.figures())  # the figures, in the test's report
    runs, stats, workload = result.runs, result.stats, result.workload

    assert [run.crash for run in runs.values()] == [None] * len(MODULES)
    # The faults really bit, every kind of them, and were retried.
    assert all(stats["faults"].get(kind, 0) > 0 for kind in ("5xx", "429", "drop", "slow")), stats["faults"]
    assert result.retries > 0
    # The sandbox's state is exactly the one computed from the seed.
    for module in MODULES:
        assert result.state[module] == workload.expected_state[module], module
    # Every distinct id has one final result, and it agrees with that state.
    for module, run in runs.items():
        assert {i: r.code for i, r in run.final.items()} == dict(workload.expected_codes[module]), module
        assert run.twice == [], module
        assert run.first_order == list(workload.expected_codes[module]), module  # one per id, input order
    # Every HTTP request was counted once, by the client as by the sandbox.
    assert result.api_calls == result.sandbox_tag_calls
    # Tokens expired under load: calls met 401 and were sent again with a new token.
    assert stats["status_codes"].get("401", 0) > 0
    # The forced lock-out was met, once; nothing hammered the token endpoint, nor spent the budget.
    assert result.lockout_forced
    assert stats["access_denied"] == 1
    assert any(run.budget_errors for run in runs.values())
    assert max(run.tries for run in runs.values()) >= 2  # a retry, as Airflow's, finished the job
    assert 2 <= stats["token_grants"] <= TOKEN_BUDGET
    assert problems(result) == []  # the full form's own check agrees


class SlowForgettingStore(MemoryTokenStore):
    """A token store whose delete takes a while, as an Airflow Variable's does (a call to the API server)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.forgetting = threading.Event()

    def delete(self, key: str) -> None:
        self.forgetting.set()
        time.sleep(self.seconds)
        super().delete(key)


def _settings(sandbox: Sandbox) -> ClientSettings:
    conn = sandbox.connection()
    return ClientSettings.from_connection(login=conn["login"], password=conn["password"], extra=conn["extra"])


def test_a_refused_token_is_never_handed_out_again_while_a_slow_store_forgets_it(
    bigin_sandbox: Sandbox,
) -> None:
    forget_process_tokens()
    store = SlowForgettingStore(seconds=0.3)
    first, second = (BiginClient(_settings(bigin_sandbox), token_store=store) for _ in range(2))
    first.list_modules()  # a token, in memory and in the store
    bigin_sandbox.expire_access_tokens()
    # The second call reads the token back while the store forgets it (0.3 s), and is still in flight (0.8 s)
    # when the first call asks for a token again: it is handed the refused one.
    bigin_sandbox.set_latency(800, jitter_ms=0)
    errors: list[str] = []

    def call(client: BiginClient) -> None:
        try:
            client.list_modules()
        except BiginError as error:
            errors.append(f"{type(error).__name__}: {error}")

    refused = threading.Thread(target=call, args=(first,))
    refused.start()
    assert store.forgetting.wait(10)  # the first call got 401 and is making the store forget the token
    fresh = threading.Thread(target=call, args=(second,))
    fresh.start()
    refused.join()
    fresh.join()
    forget_process_tokens()

    assert errors == []
    assert bigin_sandbox.stats()["token_grants"] == 2  # the first token, and one after the 401


def test_records_refused_after_a_lost_reply_do_not_claim_nothing_changed(bigin_sandbox: Sandbox) -> None:
    forget_process_tokens()
    ids = bigin_sandbox.add_records(
        "Contacts", [{"Last_Name": f"r{n}", "Tag": ["Old", "Keep"]} for n in range(3)]
    )
    client = BiginClient(
        _settings(bigin_sandbox),
        token_store=MemoryTokenStore(),
        retry=RetryPolicy(max_attempts=3, initial_wait=2.0, max_wait=2.0),
        lockout_wait_seconds=0.1,
    )
    client.list_modules()
    bigin_sandbox.set_faults({"drop_after": 1.0})  # the first attempt is applied, and its reply lost

    def lock_out_after_the_lost_reply() -> None:
        while not bigin_sandbox.stats()["faults"].get("drop_after"):
            time.sleep(0.01)
        bigin_sandbox.set_faults(None)
        bigin_sandbox.force_lockout()  # so the retry is refused as a whole: no token
        bigin_sandbox.expire_access_tokens()

    director = threading.Thread(target=lock_out_after_the_lost_reply)
    director.start()
    with pytest.raises(BiginError) as caught:
        client.remove_tags("Contacts", ids, ["Old"])
    director.join()
    forget_process_tokens()

    assert [bigin_sandbox.tags("Contacts", record_id) for record_id in ids] == [["Keep"]] * 3  # it did apply
    outcome: Any = caught.value.outcome
    assert all(result.details.get("may_have_applied") for result in outcome.results)
    assert not any("nothing changed" in result.message for result in outcome.results)
