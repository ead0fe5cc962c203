"""The client's own session sends with the proxy and CA settings requests would find, read once per host."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_bigin.client.transport import new_session

API = "https://www.zohoapis.com/bigin/v2/Contacts/actions/remove_tags?ids=1,2&tag_names=a"
ACCOUNTS = "https://accounts.zoho.com/oauth/v2/token"
LOCAL = "http://127.0.0.1:8080/bigin/v2/settings/modules"


def _settings(session: requests.Session, url: str, **given: Any) -> Any:
    args = {"proxies": {}, "stream": None, "verify": None, "cert": None, **given}
    return session.merge_environment_settings(url, args.pop("proxies"), **args)


def _as_requests_reads(session: requests.Session, url: str, **given: Any) -> Any:
    plain = requests.Session()
    plain.proxies, plain.verify, plain.cert, plain.trust_env = (
        session.proxies,
        session.verify,
        session.cert,
        session.trust_env,
    )
    return _settings(plain, url, **given)


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "127.0.0.1,accounts.zoho.com"},
        {"https_proxy": "http://proxy:3128", "REQUESTS_CA_BUNDLE": "/etc/ca.pem"},
        {"HTTP_PROXY": "http://proxy:3128", "CURL_CA_BUNDLE": "/etc/curl.pem", "no_proxy": "*"},
    ],
)
def test_settings_are_the_ones_requests_reads(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    session = new_session(10)
    for _ in range(2):  # the second time from what the first one read
        for url in (API, ACCOUNTS, LOCAL):
            assert _settings(session, url) == _as_requests_reads(session, url)


def test_a_change_of_environment_or_session_settings_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    session = new_session(10)
    assert "https" not in _settings(session, API)["proxies"]
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert _settings(session, API)["proxies"]["https"] == "http://proxy:3128"
    session.verify = False
    assert _settings(session, API)["verify"] is False
    session.proxies = {"ftp": "http://other:3128"}
    assert _settings(session, API) == _as_requests_reads(session, API)
    session.trust_env = False
    assert _settings(session, API) == _as_requests_reads(session, API)


def test_settings_given_with_a_request_are_merged_as_requests_merges_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    session = new_session(10)
    _settings(session, API)
    for given in (
        {"proxies": {"ftp": "http://mine:1"}},
        {"verify": "/my/ca.pem"},
        {"stream": True},
        {"cert": "c"},
    ):
        assert _settings(session, API, **given) == _as_requests_reads(session, API, **given)
    # What a caller gets is its own: changing it changes no later request's settings.
    _settings(session, API)["proxies"]["https"] = "http://changed:1"
    assert _settings(session, API)["proxies"]["https"] == "http://proxy:3128"
