"""Bad input, one table: every case ends in a typed error or a correct per-record failure, never a surprise.

Input and connection errors must be refused before anything is sent: the sandbox's and the scripted
server's counters prove that no request (not even a token grant) went out. Odd server replies that the
sandbox cannot be told to give come from a scripted server on loopback (tests/reliability/odd_server.py),
over real HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.client.results import MISSING_RESULT, NOT_ATTEMPTED, SERVER_ERROR, TagOutcome
from airflow_provider_bigin.client.tokens.source import forget_process_tokens
from airflow_provider_bigin.errors import (
    ConnectionConfigError,
    InvalidInputError,
    UnexpectedResponseError,
)
from airflow_provider_bigin.sandbox import Sandbox
from airflow_provider_bigin.version_compat import AirflowFailException
from tests.reliability.odd_server import GATEWAY_502_PAGE, OddServer, Reply, Seen, entry, relay_to

if TYPE_CHECKING:
    from airflow_provider_bigin.hooks.bigin import BiginHook

# The sample records of Zoho's Remove Tags page (docs/zoho-facts.md, section 6), in the sandbox's demo data:
# 402006 carries "From Email" and "In Progress".
ADA, BOB = "2445013000000402006", "2445013000000141005"
NO_SUCH_RECORD = "9000000000000000001"
ODD_IDS = ("3000000000000000001", "3000000000000000002", "3000000000000000003")
ATTEMPTS = 3
QUICK_RETRY = RetryPolicy(max_attempts=ATTEMPTS, initial_wait=0.001, max_wait=0.01, max_elapsed=30.0)


class World:
    """What a case may use: the shared sandbox, more sandboxes, scripted servers, the hook, the operator."""

    def __init__(self, sandbox: Sandbox, factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch):
        self.sandbox = sandbox
        self.sandboxes = [sandbox]
        self.factory = factory
        self.monkeypatch = monkeypatch
        self.odd_servers: list[OddServer] = []
        self.stack = ExitStack()
        self.refused_hosts: list[str] = []

    def other_sandbox(self, **options: Any) -> Sandbox:
        sandbox = self.factory(**options)
        self.sandboxes.append(sandbox)
        return sandbox

    def odd(self, **script: Any) -> OddServer:
        server = self.stack.enter_context(OddServer(**script))
        self.odd_servers.append(server)
        return server

    def requests_sent(self) -> int:
        """Every request any server of this case received: API calls and token grants alike."""
        return sum(int(sb.stats()["requests"]) for sb in self.sandboxes) + sum(
            server.requests for server in self.odd_servers
        )

    def conn(self, sandbox: Sandbox | None = None, **extra: Any) -> dict[str, Any]:
        """The sandbox's connection with a memory token cache and these extras (None removes one)."""
        conn = (sandbox or self.sandbox).connection(cache_backend="memory")
        merged = {**conn["extra"], **extra}
        conn["extra"] = {key: value for key, value in merged.items() if value is not None}
        return conn

    def client(self, conn: dict[str, Any] | None = None, **options: Any) -> BiginClient:
        conn = conn or self.conn()
        settings = ClientSettings.from_connection(
            login=conn["login"], password=conn["password"], extra=conn["extra"]
        )
        options.setdefault("retry", QUICK_RETRY)
        return BiginClient(settings, token_store=MemoryTokenStore(), **options)

    def odd_client(self, server: OddServer, **options: Any) -> BiginClient:
        return self.client(self.conn(accounts_url=server.url, api_domain=server.url), **options)

    def hook(self, *, login: Any = ..., password: Any = ..., **extra: Any) -> BiginHook:
        """BiginHook on bigin_default, defined the way deployments do: an AIRFLOW_CONN_ variable."""
        from airflow_provider_bigin.hooks.bigin import BiginHook

        conn = self.conn(**extra)
        if login is not ...:
            conn["login"] = login
        if password is not ...:
            conn["password"] = password
        self.monkeypatch.setenv("AIRFLOW_CONN_BIGIN_DEFAULT", json.dumps(conn))
        return BiginHook()

    def guarded_session(self) -> requests.Session:
        """A session that refuses every host but loopback: a reply naming a real Zoho host stays harmless."""
        world = self

        class LoopbackOnly(HTTPAdapter):
            def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
                host = urlsplit(request.url or "").hostname or ""
                if host not in ("127.0.0.1", "localhost"):
                    world.refused_hosts.append(host)
                    raise requests.ConnectionError(f"the test refuses to reach {host}")
                return super().send(request, *args, **kwargs)

        session = requests.Session()
        session.mount("http://", LoopbackOnly())
        session.mount("https://", LoopbackOnly())
        return session


@dataclass(frozen=True)
class Case:
    """One bad input: what to do, and how it must end.

    :param raises: the typed error expected; None when the run must end in per-record results.
    :param says: text the error message (or every failing record's message) must contain.
    :param codes: per-record codes in input order (of the outcome, or of the error's ``.outcome``).
    :param refused_before_sending: no request at all may reach any server.
    :param check: more assertions, given the world and the outcome or error.
    """

    name: str
    act: Callable[[World], TagOutcome]
    raises: type[BaseException] | None = None
    says: tuple[str, ...] = ()
    codes: tuple[str, ...] | None = None
    refused_before_sending: bool = False
    check: Callable[[World, Any], None] | None = field(default=None, repr=False)


def remove(
    module: Any = "Contacts", ids: Any = (ADA,), tags: Any = ("From Email",)
) -> Callable[[World], Any]:
    """The hook's remove_tags with these arguments, on the sandbox's connection."""

    def act(world: World) -> TagOutcome:
        outcome: TagOutcome = world.hook().remove_tags(
            module, ids if not isinstance(ids, tuple) else list(ids), tags
        )
        return outcome

    return act


def input_error(name: str, says: str, **arguments: Any) -> Case:
    return Case(name, remove(**arguments), InvalidInputError, (says,), refused_before_sending=True)


def config_error(name: str, says: str, **conn: Any) -> Case:
    def act(world: World) -> TagOutcome:
        outcome: TagOutcome = world.hook(**conn).remove_tags("Contacts", [ADA], ["From Email"])
        return outcome

    return Case(
        name, act, ConnectionConfigError, ("connection 'bigin_default'", says), refused_before_sending=True
    )


def nested(depth: int) -> list[Any]:
    """Ids as a list inside a list, `depth` times: what a mangled XCom can hand over."""
    value: list[Any] = [ADA]
    for _ in range(depth):
        value = [value]
    return value


def retry_budget_of(seconds: Any) -> Callable[[World], TagOutcome]:
    """The hook's request_retry_max_seconds argument, which no connection extra carries."""

    def act(world: World) -> TagOutcome:
        from airflow_provider_bigin.hooks.bigin import BiginHook

        world.hook()  # defines bigin_default
        outcome: TagOutcome = BiginHook(request_retry_max_seconds=seconds).remove_tags(
            "Contacts", [ADA], ["From Email"]
        )
        return outcome

    return act


FINITE_TIMEOUT = "timeout must be a finite number of seconds, more than 0 and at most 3600, not "
WHOLE_CONCURRENCY = "max_concurrency must be a whole number from 1 to 10, not "


def too_many_for_max_records(world: World) -> TagOutcome:
    from airflow_provider_bigin.operators.tags import RemoveTagsOperator

    world.monkeypatch.setenv("AIRFLOW_CONN_BIGIN_DEFAULT", json.dumps(world.conn()))
    operator = RemoveTagsOperator(
        task_id="untag", module="Contacts", record_ids=[ADA, BOB, ADA], tag_names="From Email", max_records=1
    )
    operator.execute({})  # refused before the context is ever read
    raise AssertionError("max_records did not stop the run")


# --- scripted replies -----------------------------------------------------------------------------------


def odd_run(api: Callable[[Seen], Reply] | None = None, **script: Any) -> Callable[[World], TagOutcome]:
    def act(world: World) -> TagOutcome:
        server = world.odd(api=api, **script)
        return world.odd_client(server).remove_tags("Contacts", list(ODD_IDS), ["Stale"])

    return act


def all_but_last(seen: Seen) -> Reply:
    return Reply.json({"data": [entry(record_id) for record_id in seen.ids[:-1]]})


def token_without_api_domain(world: World) -> TagOutcome:
    relay = world.odd(token=relay_to(world.sandbox.url, drop=("api_domain",)))
    client = world.client(world.conn(accounts_url=relay.url))  # the API domain stays the sandbox's
    return client.remove_tags("Contacts", [ADA, BOB], ["From Email"])


def api_domain_of_another_data_centre(world: World) -> TagOutcome:
    eu = world.other_sandbox(api_domain="https://www.zohoapis.eu")
    return world.client(world.conn(eu), session=world.guarded_session()).remove_tags(
        "Contacts", [ADA], ["From Email"]
    )


def unknown_but_well_formed_id(world: World) -> TagOutcome:
    return world.hook().remove_tags("Contacts", [ADA, NO_SUCH_RECORD], ["From Email"])


# --- extra checks ---------------------------------------------------------------------------------------


def relayed_token_served_the_sandbox(world: World, outcome: TagOutcome) -> None:
    assert [len(server.token_requests) for server in world.odd_servers] == [1]
    assert world.sandbox.stats()["calls"].get("remove_tags") == 1
    assert "From Email" not in world.sandbox.tags("Contacts", ADA)


def no_api_call_and_one_grant(world: World, error: Any) -> None:
    server = world.odd_servers[0]
    assert (len(server.token_requests), len(server.api_requests)) == (1, 0)


def no_call_to_any_host(world: World, error: Any) -> None:
    eu = world.sandboxes[-1]
    assert eu.stats()["calls"] == {"token": 1}  # the grant, and no API call with its token
    assert world.refused_hosts == []  # nor any attempt at the foreign host


def sent_every_attempt_with_every_id(world: World, outcome: TagOutcome) -> None:
    assert [seen.ids for seen in world.odd_servers[0].api_requests] == [ODD_IDS] * ATTEMPTS
    assert outcome.summary.api_calls == ATTEMPTS
    assert outcome.summary.retries == ATTEMPTS - 1


def not_retried(world: World, error: Any) -> None:
    assert len(world.odd_servers[0].api_requests) == 1


def resent_only_the_missing_id(world: World, outcome: TagOutcome) -> None:
    assert [seen.ids for seen in world.odd_servers[0].api_requests] == [ODD_IDS] + [ODD_IDS[-1:]] * (
        ATTEMPTS - 1
    )
    assert outcome.summary.succeeded + outcome.summary.failed == outcome.summary.requested == len(ODD_IDS)


def per_record_against_the_sandbox(world: World, outcome: TagOutcome) -> None:
    assert "From Email" not in world.sandbox.tags("Contacts", ADA)
    assert NO_SUCH_RECORD not in world.sandbox.records("Contacts")


REFUSED = "UnexpectedResponseError"

CASES: list[Case] = [
    # The module.
    input_error("unknown_module", "Unknown module 'Leads': use one of Contacts", module="Leads"),
    input_error("misspelt_module", "Unknown module 'Contcts'", module="Contcts"),
    input_error("module_none", "module None is not a module name", module=None),
    input_error("module_blank", "is not a module name", module="   "),
    # Tags.
    input_error("empty_tag_list", "tag_names is empty", tags=[]),
    input_error("tag_with_a_comma", "tag_names[0] 'Hot, Lead' contains a comma", tags=["Hot, Lead"]),
    input_error("blank_tag", "tag_names[1] is empty", tags=["VIP", "   "]),
    input_error("only_commas", "tag_names is empty", tags=" , , "),
    input_error("tag_not_a_string", "tag_names[1] is a int (7)", tags=["VIP", 7]),
    input_error("tags_none", "tag_names is None", tags=None),
    input_error("tags_a_dict", "tag_names is a dict", tags={"name": "VIP"}),
    input_error(
        "tag_with_a_line_feed",
        r"tag_names[0] 'Hot\nLead' contains the control character '\n'",
        tags=["Hot\nLead"],
    ),
    input_error(
        "tag_with_a_carriage_return", r"contains the control character '\r' at position 3", tags=["Hot\rX"]
    ),
    input_error(
        "tag_with_a_nul",
        r"tag_names[1] 'VIP\x00' contains the control character '\x00'",
        tags=["a", "VIP\x00"],
    ),
    input_error(
        "tag_with_a_tab", r"tag_names item 0 'Hot\tLead' contains the control character", tags="Hot\tLead"
    ),
    input_error("tag_with_del", r"control character '\x7f'", tags=["VIP\x7f"]),
    input_error("tag_with_a_c1_control", r"control character '\x85'", tags=["VIP\x85Lead"]),
    input_error(
        "tag_longer_than_100", "is 101 characters long: a tag name has at most 100", tags=["x" * 101]
    ),
    input_error(
        "two_bad_tags_counted",
        "2 of 3 tag names are refused; the first is shown.",
        tags=["a\nb", "b", "c\td"],
    ),
    # Ids.
    input_error("non_digit_id", "record_ids[0] is 'abc': a record id is a string of digits", ids=["abc"]),
    input_error("digits_then_a_letter", "record_ids[0] is '2445013000000402006x'", ids=[ADA + "x"]),
    input_error("negative_id", "record_ids[0] is -5: record ids are positive", ids=[-5]),
    input_error(
        "float_id",
        "is the float 2.445013000000402e+18: 19-digit Bigin ids do not survive",
        ids=[2.445013000000402e18],
    ),
    input_error("float_in_a_json_string", "record_ids[0] is the float 1.5", ids="[1.5]"),
    input_error("decimal_fraction", "record_ids[0] is Decimal('1.5'), not a whole", ids=[Decimal("1.5")]),
    input_error("float_text", "record_ids item 0 is '2445013000000402006.0'", ids=ADA + ".0"),
    input_error("ids_none", "record_ids is None", ids=None),
    input_error("none_among_ids", "record_ids[1] is None, not a record id", ids=[ADA, None]),
    input_error("bool_id", "record_ids[0] is True, not a record id", ids=[True]),
    input_error("nested_lists", "record_ids[0] nests too deep", ids=[[[ADA]]]),
    input_error("ids_nested_100000_deep", "record_ids[0] nests too deep: [[[", ids=nested(100_000)),
    input_error(
        "ids_text_nested_100000_deep",
        "record_ids nests too deep to be a list of values",
        ids="[" * 100_000 + "]" * 100_000,
    ),
    input_error(
        "id_with_a_leading_zero", "record_ids[0] is '0123': a record id is a number and never", ids=["0123"]
    ),
    input_error("id_zero_as_text", "record_ids[1] is '0': a record id is a number", ids=[ADA, "0"]),
    input_error("id_of_26_digits", f"record_ids[0] is '{'1' * 26}' (26 digits): longer than", ids=["1" * 26]),
    input_error("int_id_of_26_digits", "record_ids[0] is 10000000000000000000000000: longer", ids=[10**25]),
    input_error("int_id_of_5000_digits", "record_ids[0] is <int>: about 5001 digits", ids=[10**5000]),
    input_error(
        "bad_ids_counted", "2 of 3 record ids are refused; the first is shown.", ids=[ADA, "0123", "007"]
    ),
    input_error("two_column_row", "record_ids[0] is a row of 2 columns", ids=[(ADA, "Ada")]),
    input_error("dict_without_id", "record_ids[0] is a dict with no 'id' key", ids=[{"name": "Ada"}]),
    input_error(
        "dict_with_two_id_keys", "record_ids[0] is a dict with several id keys", ids=[{"id": ADA, "ID": BOB}]
    ),
    input_error("ids_as_bytes", "record_ids is bytes", ids=ADA.encode()),
    input_error("broken_json_list", "neither JSON nor a Python literal", ids="[2445013000000402006, "),
    Case(
        "more_ids_than_max_records",
        too_many_for_max_records,
        AirflowFailException,  # such a task must not be retried: the same input fails the same way
        ("InvalidInputError: 2 distinct record ids exceed max_records=1: nothing was sent",),
        refused_before_sending=True,
    ),
    # The connection.
    config_error(
        "unknown_data_centre",
        "Unknown data_center 'mars'",
        data_center="mars",
        accounts_url=None,
        api_domain=None,
    ),
    config_error(
        "http_api_domain_not_loopback",
        "api_domain http://bigin.example.com uses plain http",
        api_domain="http://bigin.example.com",
    ),
    config_error(
        "http_accounts_url_not_loopback",
        "accounts_url http://accounts.example.com uses plain http",
        accounts_url="http://accounts.example.com",
    ),
    config_error("api_domain_not_a_url", "'zohoapis' is not an absolute URL", api_domain="zohoapis"),
    config_error("missing_refresh_token", "has no refresh_token in its extra", refresh_token=None),
    config_error("missing_client_id", "has no client_id in its login", login=None),
    config_error("missing_client_secret", "has no client_secret in its password", password=""),
    # Every sandbox connection sets both URLs: an unknown code must fail there too.
    config_error(
        "data_centre_usa_with_both_urls", "Unknown data_center 'usa': use one of us, eu", data_center="usa"
    ),
    config_error(
        "data_centre_narnia_with_both_urls",
        "Unknown data_center 'narnia': use one of us, eu, au, in, cn, jp, sa, ca",
        data_center="narnia",
    ),
    config_error("negative_timeout", FINITE_TIMEOUT + "-1", timeout=-1),
    config_error("infinite_timeout_text", FINITE_TIMEOUT + "'inf'", timeout="inf"),
    config_error("infinite_timeout", FINITE_TIMEOUT + "inf", timeout=float("inf")),
    config_error("nan_timeout_text", FINITE_TIMEOUT + "'NaN'", timeout="NaN"),
    config_error("nan_timeout", FINITE_TIMEOUT + "nan", timeout=float("nan")),
    config_error("timeout_past_an_hour", FINITE_TIMEOUT + "86400", timeout=86400),
    config_error("nan_concurrency", WHOLE_CONCURRENCY + "nan", max_concurrency=float("nan")),
    config_error("infinite_concurrency_text", WHOLE_CONCURRENCY + "'inf'", max_concurrency="inf"),
    Case(
        "infinite_retry_budget",
        retry_budget_of(float("inf")),
        ConnectionConfigError,
        ("request_retry_max_seconds must be a finite number of seconds, from 0 and at most 3600, not inf",),
        refused_before_sending=True,
    ),
    config_error("zero_concurrency", WHOLE_CONCURRENCY + "0", max_concurrency=0),
    config_error("unknown_cache_backend", "'redis' is not one of auto", cache_backend="redis"),
    # Zoho Accounts' replies.
    Case(
        "token_reply_without_api_domain",  # the connection's API domain is used, and the run succeeds
        token_without_api_domain,
        codes=("SUCCESS", "SUCCESS"),
        check=relayed_token_served_the_sandbox,
    ),
    Case(
        "token_reply_in_html",
        odd_run(token=lambda form, url: Reply.html(b"<html><body>Accounts are down</body></html>")),
        UnexpectedResponseError,
        ("answered HTTP 200 without JSON: is accounts_url a Zoho accounts server?",),
        codes=(NOT_ATTEMPTED,) * 3,  # no token, so nothing was sent
        check=no_api_call_and_one_grant,
    ),
    Case(
        "token_reply_without_access_token",
        odd_run(token=lambda form, url: Reply.json({"api_domain": url, "token_type": "Bearer"})),
        UnexpectedResponseError,
        ("replied without an access_token",),
        codes=(NOT_ATTEMPTED,) * 3,  # no token, so nothing was sent
        check=no_api_call_and_one_grant,
    ),
    Case(
        "api_domain_outside_the_data_centre",
        api_domain_of_another_data_centre,
        ConnectionConfigError,
        ("The access token belongs to EU (https://www.zohoapis.eu), the connection says US",),
        codes=("ConnectionConfigError",),
        check=no_call_to_any_host,
    ),
    # Bigin's replies.
    Case(
        "html_502_page",
        odd_run(lambda seen: Reply.html(GATEWAY_502_PAGE, 502)),
        codes=(SERVER_ERROR,) * 3,
        says=(
            f"gave up after {ATTEMPTS} attempts: Bigin failed on POST "
            "/bigin/v2/Contacts/actions/remove_tags (HTTP 502",
            "running again is safe",
        ),
        check=sent_every_attempt_with_every_id,
    ),
    Case(
        "html_page_with_200",
        odd_run(lambda seen: Reply.html(b"<html><body>Scheduled maintenance</body></html>")),
        UnexpectedResponseError,
        ("HTTP 200 and a body that is not its JSON",),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "empty_204",
        odd_run(lambda seen: Reply(204)),
        UnexpectedResponseError,
        ("has no data[] list of records", "(remove_tags on Contacts, HTTP 204)"),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "data_not_a_list",
        odd_run(lambda seen: Reply.json({"data": entry(seen.ids[0])})),
        UnexpectedResponseError,
        ("has no data[] list of records",),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "data_shorter_than_the_ids_sent",
        odd_run(all_but_last),
        codes=("SUCCESS", "SUCCESS", MISSING_RESULT),
        says=(f"gave up after {ATTEMPTS} attempts: the replies never mentioned this record",),
        check=resent_only_the_missing_id,
    ),
    Case(
        "data_naming_an_id_never_sent",
        odd_run(lambda seen: Reply.json({"data": [entry(i) for i in seen.ids[:-1]] + [entry("999")]})),
        UnexpectedResponseError,
        ("data[2] is about record 999, which was not sent",),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "malformed_details",
        odd_run(
            lambda seen: Reply.json({"data": [entry(i) for i in seen.ids[:-1]] + [entry(0, details="oops")]})
        ),
        UnexpectedResponseError,
        ("data[2] names no record id, so it cannot be placed",),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "details_id_not_a_scalar",
        odd_run(
            lambda seen: Reply.json(
                {"data": [entry(i) for i in seen.ids[:-1]] + [entry(0, details={"id": ["x"]})]}
            )
        ),
        UnexpectedResponseError,
        ("data[2] names no record id",),
        codes=(REFUSED,) * 3,
        check=not_retried,
    ),
    Case(
        "unknown_but_well_formed_id",
        unknown_but_well_formed_id,
        codes=("SUCCESS", "INVALID_DATA"),
        says=("the id given seems to be invalid",),
        check=per_record_against_the_sandbox,
    ),
]


@pytest.fixture
def world(
    bigin_sandbox: Sandbox, bigin_sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    forget_process_tokens()
    world = World(bigin_sandbox, bigin_sandbox_factory, monkeypatch)
    with world.stack:
        yield world
    forget_process_tokens()


def _codes(outcome: TagOutcome | None) -> tuple[str, ...] | None:
    return None if outcome is None else tuple(result.code for result in outcome.results)


def test_the_matrix_has_at_least_thirty_distinct_cases() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_ends_in_a_typed_error_or_a_correct_per_record_failure(case: Case, world: World) -> None:
    if case.raises is not None:
        with pytest.raises(case.raises) as caught:
            case.act(world)
        error = caught.value
        for text in case.says:
            assert text in str(error), f"{case.name}: {str(error)!r} does not say {text!r}"
        if case.codes is not None:
            assert _codes(getattr(error, "outcome", None)) == case.codes
        result: Any = error
    else:
        outcome = case.act(world)
        assert _codes(outcome) == case.codes
        failed = [r for r in outcome.results if not r.ok]
        assert bool(failed) == bool(case.says), f"{case.name}: {len(failed)} records failed"
        for record in failed:
            for text in case.says:
                assert text in record.message, f"{case.name}: {record.message!r} does not say {text!r}"
        json.dumps(outcome.to_dict())  # what goes to XCom stays JSON
        result = outcome
    if case.refused_before_sending:
        assert world.requests_sent() == 0, f"{case.name}: a request went out before the input was refused"
    if case.check is not None:
        case.check(world, result)


def test_a_gateway_page_reads_cleanly_in_each_record_message(world: World) -> None:
    server = world.odd(api=lambda seen: Reply.html(GATEWAY_502_PAGE, 502))
    outcome = world.odd_client(server).remove_tags("Contacts", list(ODD_IDS), ["Stale"])
    message = outcome.results[0].message
    assert "(HTTP 502)" in message
    assert " )" not in message
    assert ".;" not in message
