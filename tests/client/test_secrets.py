"""No secret reaches a log record, an exception text, an outcome or a repr, on success or failure paths."""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_bigin.client import BiginClient, ClientSettings
from airflow_provider_bigin.errors import BiginError
from tests.client.conftest import MakeClient, settings_for


def test_no_secret_appears_in_logs_errors_outcomes_or_reprs(
    bigin_sandbox, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    connection = bigin_sandbox.connection()
    secrets = {connection["password"], connection["extra"]["refresh_token"]}
    texts: list[str] = []
    ids = bigin_sandbox.add_records("Contacts", [{"Last_Name": "x", "Tag": ["Old"]} for _ in range(4)])

    def remember(error: BiginError) -> None:
        texts.extend([str(error), repr(error), repr(error.args)])
        if error.outcome is not None:
            texts.append(json.dumps(error.outcome.to_dict()))

    with caplog.at_level(logging.DEBUG):
        client = make_client(bigin_sandbox, on_new_token=secrets.add)
        texts.append(json.dumps(client.remove_tags("Contacts", ids, ["Old"]).to_dict()))
        bigin_sandbox.expire_access_tokens()  # the 401 path
        texts.append(json.dumps(client.add_tags("Contacts", ids[:1], ["New"]).to_dict()))
        texts.extend(
            [
                repr(client),
                repr(client.settings),
                repr(client.tokens),
                repr(client.tokens.store),
                str(client.check()),
            ]
        )
        for bad in (
            {"client": "readonly"},  # scope mismatch
            {"client": "noperm"},  # no permission
        ):
            with pytest.raises(BiginError) as caught:
                make_client(bigin_sandbox, **bad).remove_tags("Contacts", ids, ["Old"])
            remember(caught.value)
        wrong_secret = ClientSettings.from_connection(
            login=connection["login"], password="0" * 42, extra=connection["extra"]
        )
        wrong_refresh = {**connection["extra"], "refresh_token": "1000.deadbeef.cafebabe"}
        secrets.update({"0" * 42, "1000.deadbeef.cafebabe"})
        for settings in (
            wrong_secret,
            settings_for(bigin_sandbox, refresh_token=wrong_refresh["refresh_token"]),
        ):
            with pytest.raises(BiginError) as caught:
                BiginClient(settings).list_modules()
            remember(caught.value)
            texts.append(repr(settings))
        bigin_sandbox.force_lockout()
        bigin_sandbox.expire_access_tokens()
        with pytest.raises(BiginError) as caught:
            make_client(bigin_sandbox, lockout_wait_seconds=0.1).remove_tags("Contacts", ids, ["Old"])
        remember(caught.value)

    texts.extend(record.getMessage() for record in caplog.records)
    texts.append(caplog.text)
    assert len(secrets) >= 5  # client secret, refresh token, two minted tokens, wrong ones
    leaks = [secret for secret in secrets for text in texts if secret in text]
    assert leaks == []
