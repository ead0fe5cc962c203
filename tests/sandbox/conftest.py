"""Fixtures for the sandbox's own tests: plain ``requests`` against a sandbox, never the provider's client.

The sandboxes themselves come from the package's pytest plugin (``bigin_sandbox``, ``bigin_sandbox_factory``),
so these tests exercise the plugin as a user's suite would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from airflow_provider_bigin.sandbox import Sandbox

# The records of the sample request and reply on Zoho's Remove Tags page (docs/zoho-facts.md, section 6).
SAMPLE_IDS = ("2445013000000402006", "2445013000000141005")


@dataclass
class Api:
    """A ``requests.Session`` aimed at one sandbox, with a default client's access token."""

    sandbox: Sandbox
    session: requests.Session
    token: str

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {token or self.token}"}

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {**self.headers(token), **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.sandbox.url}{path}", headers=headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def grant(self, client: str = "default", **overrides: str) -> requests.Response:
        """A refresh-token grant for a configured client, with any form field overridden."""
        credentials = self.sandbox.credentials(client)
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "refresh_token": credentials["refresh_token"],
            **overrides,
        }
        return self.session.post(f"{self.sandbox.url}/oauth/v2/token", data=form, timeout=30)

    def token_for(self, client: str = "default") -> str:
        reply = self.grant(client).json()
        assert "access_token" in reply, reply
        return str(reply["access_token"])

    def remove_tags(
        self, ids: list[str] | tuple[str, ...], tag_names: str, **kwargs: Any
    ) -> requests.Response:
        params = {"ids": ",".join(ids), "tag_names": tag_names}
        return self.post("/bigin/v2/Contacts/actions/remove_tags", params=params, **kwargs)


@pytest.fixture
def secrets_in_urls(caplog: pytest.LogCaptureFixture) -> None:
    """For a test that puts credentials in a query string on purpose (Zoho's revoke URL does): urllib3 logs
    every URL at DEBUG, and no secret may reach a log."""
    caplog.set_level(logging.INFO, logger="urllib3.connectionpool")


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False  # loopback only, whatever proxy the environment names
        yield http


def make_api(sandbox: Sandbox, session: requests.Session) -> Api:
    api = Api(sandbox, session, token="")
    api.token = api.token_for()
    return api


@pytest.fixture
def api(bigin_sandbox: Sandbox, session: requests.Session) -> Api:
    """The shared sandbox (reset for this test) and a fresh token of its default client."""
    return make_api(bigin_sandbox, session)


@pytest.fixture
def small_seed() -> dict[str, Any]:
    """A seed small enough that a sandbox of its own starts in a blink."""
    return {
        "records": {
            "Contacts": [
                {"id": "2445013000000402006", "Last_Name": "Sample", "Tag": ["From Email", "In Progress"]},
                {"id": "2445013000000141005", "Last_Name": "Other", "Tag": ["From Webforms", "Newsletter"]},
                {"id": "2445013000000500001", "Last_Name": "Plain", "Tag": []},
            ],
            "Pipelines": [{"id": "2445013000000600001", "Deal_Name": "Big deal", "Stage": "Closed Won"}],
        }
    }
