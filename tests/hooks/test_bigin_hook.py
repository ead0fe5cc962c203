"""BiginHook: a Connection (from an AIRFLOW_CONN_ variable) becomes a client of the right data centre."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airflow.sdk.log import redact

from airflow_provider_bigin.client.datacenters import DATA_CENTERS
from airflow_provider_bigin.client.tokens.source import forget_process_tokens
from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.hooks.bigin import BiginHook
from tests.data_centres import EXPECTED_DATA_CENTRES
from tests.hooks.conftest import UseConnection, offline_conn


def test_expected_table_covers_every_data_centre_the_client_knows() -> None:
    assert set(EXPECTED_DATA_CENTRES) == set(DATA_CENTERS)


@pytest.mark.parametrize("code", sorted(EXPECTED_DATA_CENTRES))
@pytest.mark.parametrize("spelling", [str.lower, str.upper])
def test_each_data_centre_maps_to_its_accounts_server_and_api_domain(
    use_connection: UseConnection, code: str, spelling: Any
) -> None:
    use_connection(offline_conn(data_center=spelling(code)))
    dc = BiginHook().get_conn().data_center
    assert (dc.code, dc.accounts_url, dc.api_domain) == (code, *EXPECTED_DATA_CENTRES[code])


def test_data_centre_defaults_to_us(use_connection: UseConnection) -> None:
    use_connection(offline_conn())
    assert BiginHook().get_conn().data_center.code == "us"


def test_hook_arguments_override_connection_extras_and_none_keeps_them(use_connection: UseConnection) -> None:
    use_connection(offline_conn(timeout=12, max_concurrency=3, cache_backend="file"))
    kept = BiginHook().get_conn().settings
    assert (kept.timeout, kept.max_concurrency, kept.cache_backend) == (12.0, 3, "file")

    overridden = BiginHook(timeout=45.5, max_concurrency=7, cache_backend="memory").get_conn().settings
    assert (overridden.timeout, overridden.max_concurrency, overridden.cache_backend) == (45.5, 7, "memory")


def test_connection_overrides_send_credentials_to_the_named_hosts(
    bigin_sandbox: Any, sandbox_conn: dict[str, Any]
) -> None:
    client = BiginHook().get_conn()
    assert client.data_center.accounts_url == bigin_sandbox.url
    assert client.data_center.api_domain == bigin_sandbox.url


@pytest.mark.parametrize(
    ("field", "change", "hint"),
    [
        ("client_id", {"login": None}, "login"),
        ("client_id", {"login": "   "}, "login"),
        ("client_secret", {"password": None}, "password"),
        ("refresh_token", {"extra": {"data_center": "eu"}}, "extra"),
        ("refresh_token", {"extra": {"refresh_token": ""}}, "extra"),
    ],
)
def test_missing_field_raises_typed_error_naming_the_field_and_how_to_fill_it(
    bigin_sandbox: Any, use_connection: UseConnection, field: str, change: dict[str, Any], hint: str
) -> None:
    conn = {**bigin_sandbox.connection(cache_backend="file"), **change}
    use_connection(conn, conn_id="bigin_incomplete")
    with pytest.raises(ConnectionConfigError) as raised:
        BiginHook("bigin_incomplete").get_conn()
    message = str(raised.value)
    assert f"connection 'bigin_incomplete' has no {field} in its {hint}" in message
    assert "api-console.zoho.com" in message or "refresh token" in message
    assert bigin_sandbox.stats()["requests"] == 0


def test_undefined_connection_raises_typed_error_saying_how_to_define_it() -> None:
    with pytest.raises(ConnectionConfigError, match="'bigin_nowhere' is not defined") as raised:
        BiginHook("bigin_nowhere").get_conn()
    assert "AIRFLOW_CONN_BIGIN_NOWHERE" in str(raised.value)


def test_invalid_extra_value_error_names_the_connection(use_connection: UseConnection) -> None:
    use_connection(offline_conn(data_center="mars"), conn_id="bigin_mars")
    with pytest.raises(ConnectionConfigError, match=r"^connection 'bigin_mars': Unknown data_center 'mars'"):
        BiginHook("bigin_mars").get_conn()


def test_unknown_extras_are_named_in_a_warning_and_their_values_never_logged(
    use_connection: UseConnection, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    use_connection(offline_conn(datacenter="eu", api_key="VALUE-THAT-MUST-NOT-BE-LOGGED"))
    caplog.set_level(logging.INFO)
    settings = BiginHook().get_conn().settings
    # The hook logs through Airflow's structlog (the task log, stdout here); stdlib loggers reach caplog.
    logged = capfd.readouterr().out + caplog.text
    warning = next(line for line in logged.splitlines() if "ignoring unknown extras" in line)
    assert "'api_key'" in warning
    assert "'datacenter'" in warning
    assert "VALUE-THAT-MUST-NOT-BE-LOGGED" not in logged
    assert settings.data_center == "us"  # the typo was not taken for data_center


def test_airflow_2_style_prefixed_extras_are_read(use_connection: UseConnection) -> None:
    conn = offline_conn()
    refresh = conn["extra"].pop("refresh_token")
    conn["extra"] = {"extra__bigin__refresh_token": refresh, "extra__bigin__data_center": "jp"}
    use_connection(conn)
    client = BiginHook().get_conn()
    assert client.data_center.code == "jp"
    assert client.settings.refresh_token == refresh


def test_bad_retry_arguments_are_refused_before_any_request(use_connection: UseConnection) -> None:
    use_connection(offline_conn())
    with pytest.raises(ConnectionConfigError, match="request_retries"):
        BiginHook(request_retries=-1).get_conn()


def test_request_retries_bound_how_often_one_call_is_sent(bigin_sandbox: Any, sandbox_conn: Any) -> None:
    ids = list(bigin_sandbox.records("Contacts"))[:3]
    hook = BiginHook(request_retries=2)
    hook.get_tags("Contacts")  # token and connection first, before faults start
    bigin_sandbox.reset_stats()
    bigin_sandbox.set_faults({"server_error": 1.0})
    outcome = hook.remove_tags("Contacts", ids, ["VIP"])
    assert [result.code for result in outcome.results] == ["SERVER_ERROR"] * 3
    assert bigin_sandbox.stats()["calls"].get("remove_tags") == 3  # the first attempt and two retries
    assert outcome.summary.retries == 2


def test_test_connection_succeeds_naming_data_centre_and_api_domain(
    bigin_sandbox: Any, sandbox_conn: Any
) -> None:
    ok, message = BiginHook().test_connection()
    assert ok, message
    assert "US" in message
    assert bigin_sandbox.url in message
    assert bigin_sandbox.stats()["calls"].get("modules") == 1


def test_test_connection_fails_with_a_clean_message_on_a_bad_secret(
    bigin_sandbox: Any, use_connection: UseConnection
) -> None:
    conn = bigin_sandbox.connection(cache_backend="file")
    wrong_secret = "wrong-secret-" + "9" * 30
    use_connection({**conn, "password": wrong_secret})
    ok, message = BiginHook().test_connection()
    assert not ok
    assert message.startswith("InvalidClientError: ")
    for secret in (wrong_secret, conn["password"], conn["extra"]["refresh_token"]):
        assert secret not in message
    assert "Traceback" not in message


def test_test_connection_fails_with_a_clean_message_on_a_missing_refresh_token(
    use_connection: UseConnection,
) -> None:
    conn = offline_conn()
    del conn["extra"]["refresh_token"]
    use_connection(conn)
    ok, message = BiginHook().test_connection()
    assert not ok
    assert "has no refresh_token" in message


def test_two_hook_instances_in_one_process_share_one_token(bigin_sandbox: Any, sandbox_conn: Any) -> None:
    BiginHook().get_tags("Contacts")
    BiginHook().get_tags("Pipelines")
    assert bigin_sandbox.stats()["token_grants"] == 1


def test_a_hook_in_another_process_reuses_the_stored_token(bigin_sandbox: Any, sandbox_conn: Any) -> None:
    BiginHook().get_tags("Contacts")
    forget_process_tokens()  # what a second worker process starts with: an empty memory layer
    BiginHook().get_tags("Contacts")
    assert bigin_sandbox.stats()["token_grants"] == 1


def test_remove_and_add_tags_change_the_records(bigin_sandbox: Any, sandbox_conn: Any) -> None:
    record_id = next(iter(bigin_sandbox.records("Contacts")))
    hook = BiginHook()
    added = hook.add_tags("Contacts", [record_id], ["Reviewed"])
    assert [result.status for result in added.results] == ["success"]
    assert "Reviewed" in bigin_sandbox.tags("Contacts", record_id)
    removed = hook.remove_tags("Contacts", [record_id], "Reviewed")
    assert [result.status for result in removed.results] == ["success"]
    assert "Reviewed" not in bigin_sandbox.tags("Contacts", record_id)
    assert "Reviewed" in {tag["name"] for tag in hook.get_tags("Contacts")}


def test_secrets_and_minted_tokens_are_masked_and_absent_from_reprs(
    bigin_sandbox: Any, sandbox_conn: dict[str, Any]
) -> None:
    hook = BiginHook()
    hook.get_tags("Contacts")
    access_token = hook.get_conn().tokens.get().value
    secrets = [sandbox_conn["password"], sandbox_conn["extra"]["refresh_token"], access_token]
    for secret in secrets:
        assert secret not in redact(f"a log line with {secret} in it")
        for text in (repr(hook), repr(hook.get_conn()), repr(hook.get_conn().settings)):
            assert secret not in text
