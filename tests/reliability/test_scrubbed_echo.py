"""Server text is scrubbed: a Zoho that echoes the credentials it was sent shows them in no channel.

The echoing server (odd_server.Echo) puts the client secret, the refresh token and the access token it minted
into every text field it has: a token error's error_description, a whole-request message, each record's
message and details. Through the client, the hook's Test button and an operator under dag.test(), none of
them may reach an exception, a result, a log line, an XCom or the Test message; `***` stands in their place.
The secrets audit (tests/secrets_audit.py) watches every test here too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings, MemoryTokenStore, RetryPolicy
from airflow_provider_bigin.errors import BadRequestError, BiginError, TokenRequestError
from tests.operators.conftest import TaskLogs, assert_no_secret_leaked, dag_source
from tests.reliability.odd_server import Echo, OddServer

CLIENT_SECRET = "echo-secret-0123456789abcdef0123"
REFRESH_TOKEN = "1000.ec40ec40ec40ec40ec40ec40ec40ec40.0123456789abcdef0123456789abcdef"
IDS = ["3000000000000000001", "3000000000000000002"]
ONCE = RetryPolicy(max_attempts=1, initial_wait=0.001, max_wait=0.001, max_elapsed=5.0)


def client_for(odd: OddServer) -> BiginClient:
    settings = ClientSettings(
        client_id="1000.ECHO",
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        accounts_url=odd.url,
        api_domain=odd.url,
    )
    return BiginClient(settings, token_store=MemoryTokenStore(), retry=ONCE)


def assert_scrubbed(text: str, echo: Echo, said: str) -> None:
    """No secret in `text`, and the server's `said` followed by its echo with `***` for each secret."""
    assert len(echo.secrets) >= 2, "the server echoed nothing"
    for secret in echo.secrets:
        assert secret not in text
    assert said + " | ".join("***" for _ in echo.secrets) in text, text[-2000:]


def assert_secret_free(text: str, echo: Echo) -> None:
    assert len(echo.secrets) >= 2, "the server echoed nothing"
    for secret in echo.secrets:
        assert secret not in text


def error_text(error: BiginError) -> str:
    outcome = error.outcome.to_dicts() if error.outcome is not None else []
    return json.dumps([str(error), repr(error), [str(arg) for arg in error.args], outcome])


def test_a_token_error_description_that_echoes_the_credentials_is_scrubbed() -> None:
    echo = Echo(grant_error=True)
    with (
        OddServer(token=echo.token, api=echo.api) as odd,
        client_for(odd) as client,
        pytest.raises(BiginError) as caught,
    ):
        client.remove_tags("Contacts", IDS, ["Stale"])
    assert isinstance(caught.value, TokenRequestError)
    assert_scrubbed(error_text(caught.value), echo, "bad request: ")
    assert_scrubbed(str(caught.value), echo, "bad request: ")


def test_a_whole_request_message_that_echoes_them_is_scrubbed_in_the_error_and_its_outcome() -> None:
    echo = Echo(whole=True)
    with (
        OddServer(token=echo.token, api=echo.api) as odd,
        client_for(odd) as client,
        pytest.raises(BadRequestError) as caught,
    ):
        client.remove_tags("Contacts", IDS, ["Stale"])
    assert len(echo.secrets) == 3  # the access token too
    assert_scrubbed(error_text(caught.value), echo, "cannot do it: ")
    assert_scrubbed(str(caught.value), echo, "cannot do it: ")
    assert_scrubbed(json.dumps(caught.value.outcome.to_dicts() if caught.value.outcome else []), echo, "")


def test_record_messages_and_details_that_echo_them_are_scrubbed_in_the_results(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    echo = Echo()
    with OddServer(token=echo.token, api=echo.api) as odd, client_for(odd) as client:
        outcome = client.remove_tags("Contacts", IDS, ["Stale"])
    results = outcome.to_dicts()
    assert [result["message"] for result in results] == ["refused for *** | *** | ***"] * 2
    assert results[0]["details"]["nested"] == [{"again": "*** | *** | ***"}]
    assert_scrubbed(json.dumps(results), echo, "refused for ")
    assert [result["details"]["echo"] for result in results] == ["*** | *** | ***"] * 2
    # The client's log names the call but, by design, carries no text of the reply (failure_reason): neither
    # a secret nor the scrubbed echo. The operator's log tells the failure; the dag.test() case checks it.
    assert "POST /bigin/v2/Contacts/actions/remove_tags" in caplog.text
    assert_secret_free(caplog.text, echo)
    assert "refused for" not in caplog.text


def test_the_connection_test_message_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_bigin.hooks.bigin import BiginHook

    echo = Echo(whole=True)
    with OddServer(token=echo.token, api=echo.api) as odd:
        conn = {
            "conn_type": "bigin",
            "login": "1000.ECHO",
            "password": CLIENT_SECRET,
            "extra": {
                "refresh_token": REFRESH_TOKEN,
                "accounts_url": odd.url,
                "api_domain": odd.url,
                "cache_backend": "memory",
            },
        }
        monkeypatch.setenv("AIRFLOW_CONN_BIGIN_DEFAULT", json.dumps(conn))
        ok, message = BiginHook().test_connection()
    assert not ok
    assert message.startswith("BadRequestError: ")
    assert_scrubbed(message, echo, "cannot do it: ")


@pytest.fixture
def task_logs(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Any:
    """What a dag.test() run logged: its task logs reach stdout (structlog), other loggers caplog."""
    caplog.set_level("DEBUG")

    def read() -> TaskLogs:
        out, err = capfd.readouterr()
        return TaskLogs(out + err + caplog.text)

    return read


BODY = """
with DAG(
    "bigin_echo", schedule=None, start_date=START, default_args={"on_execute_callback": as_a_fresh_worker}
):
    RemoveTagsOperator(task_id="untag", module="Contacts", record_ids=__IDS__, tag_names=["Stale"])
"""


def test_an_operator_run_against_an_echoing_server_shows_no_secret_anywhere(
    run_dag: Any, airflow_db: Any, task_logs: Any
) -> None:
    echo = Echo()
    with OddServer(token=echo.token, api=echo.api) as odd:
        conn = {
            "conn_type": "bigin",
            "login": "1000.ECHO",
            "password": CLIENT_SECRET,
            "extra": {"refresh_token": REFRESH_TOKEN, "accounts_url": odd.url, "api_domain": odd.url},
        }
        result = run_dag(
            dag_source(BODY, ids=IDS), "bigin_echo", env={"AIRFLOW_CONN_BIGIN_DEFAULT": json.dumps(conn)}
        )
    logs = task_logs()
    assert result.task_states[("untag", -1)] == "failed"  # every record refused: the default policy fails
    records = result.xcom("untag")
    assert [record["message"] for record in records] == ["refused for *** | *** | ***"] * 2
    assert result.xcom("untag", key="summary")["failed"] == 2
    assert "refused for *** | *** | ***" in logs.text  # the failure is told, scrubbed
    assert len(echo.secrets) == 3
    # The access token belongs in the Variable token cache and nowhere else; the check finds it there.
    assert_no_secret_leaked(result.dag_id, result.run_id, logs, [CLIENT_SECRET, REFRESH_TOKEN])
