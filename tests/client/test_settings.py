from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_bigin.client import ClientSettings
from airflow_provider_bigin.errors import ConnectionConfigError

SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbb"
REFRESH = "1000.aaaabbbbccccddddeeeeffff00001111.22223333444455556666777788889999"


def settings(**changes: Any) -> ClientSettings:
    values: dict[str, Any] = {"client_id": "1000.CLIENT", "client_secret": SECRET, "refresh_token": REFRESH}
    values.update(changes)
    return ClientSettings(**values)


def test_repr_shows_no_credential() -> None:
    text = repr(settings())
    assert SECRET not in text
    assert REFRESH not in text
    assert "1000.CLIENT" not in text
    assert "data_center='us'" in text


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("client_id", "the connection's login"),
        ("client_secret", "the connection's password"),
        ("refresh_token", "the connection extra 'refresh_token'"),
    ],
)
def test_missing_credentials_name_the_field_to_fill(field: str, where: str) -> None:
    with pytest.raises(ConnectionConfigError, match=f"{field} is missing: put it in {where}"):
        settings(**{field: "  "})


def test_data_center_is_case_insensitive_and_validated() -> None:
    assert settings(data_center="EU").data_center_info().api_domain == "https://www.zohoapis.eu"
    with pytest.raises(ConnectionConfigError, match="Unknown data_center 'xx'"):
        settings(data_center="xx")


@pytest.mark.parametrize("code", ["usa", "narnia", "uk"])
def test_an_unknown_data_center_is_refused_even_with_both_urls(code: str) -> None:
    """Every sandbox connection sets both URLs: a misspelt code must fail there, not only in production."""
    with pytest.raises(ConnectionConfigError) as caught:
        settings(data_center=code, accounts_url="http://127.0.0.1:9", api_domain="http://127.0.0.1:9")
    assert f"Unknown data_center {code!r}: use one of us, eu, au, in, cn, jp, sa, ca" in str(caught.value)
    assert "leave data_center out and set both accounts_url and api_domain" in str(caught.value)


def test_a_newer_data_center_is_reached_by_leaving_data_center_out_and_setting_both_urls() -> None:
    dc = settings(
        accounts_url="https://accounts.zoho.uk", api_domain="https://www.zohoapis.uk"
    ).data_center_info()
    assert (dc.accounts_url, dc.api_domain) == ("https://accounts.zoho.uk", "https://www.zohoapis.uk")


def test_overrides_must_be_https_or_loopback() -> None:
    assert settings(api_domain="http://127.0.0.1:9/").data_center_info().api_domain == "http://127.0.0.1:9"
    with pytest.raises(ConnectionConfigError, match="plain http"):
        settings(accounts_url="http://accounts.example.com")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": "soon"}, "timeout must be a finite number of seconds"),
        ({"timeout": 0}, "more than 0"),
        ({"max_concurrency": 0}, "from 1 to 10"),
        ({"max_concurrency": 2.5}, "whole number"),
        ({"cache_backend": "redis"}, "cache_backend 'redis' is not one of auto, variable, file, memory"),
    ],
)
def test_bad_tuning_values_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConnectionConfigError, match=message):
        settings(**changes)


ACCEPTED_TIMEOUT = "timeout must be a finite number of seconds, more than 0 and at most 3600, not "
ACCEPTED_CONCURRENCY = "max_concurrency must be a whole number from 1 to 10, not "


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": "inf"}, ACCEPTED_TIMEOUT + "'inf'"),
        ({"timeout": "Infinity"}, ACCEPTED_TIMEOUT + "'Infinity'"),
        ({"timeout": float("inf")}, ACCEPTED_TIMEOUT + "inf"),
        ({"timeout": "NaN"}, ACCEPTED_TIMEOUT + "'NaN'"),
        ({"timeout": float("nan")}, ACCEPTED_TIMEOUT + "nan"),
        ({"timeout": "-inf"}, ACCEPTED_TIMEOUT + "'-inf'"),
        ({"timeout": 10**400}, ACCEPTED_TIMEOUT),  # float() overflows
        ({"timeout": 3601}, ACCEPTED_TIMEOUT + "3601"),
        ({"timeout": True}, ACCEPTED_TIMEOUT + "True"),
        ({"max_concurrency": "inf"}, ACCEPTED_CONCURRENCY + "'inf'"),
        ({"max_concurrency": float("nan")}, ACCEPTED_CONCURRENCY + "nan"),
        ({"max_concurrency": float("inf")}, ACCEPTED_CONCURRENCY + "inf"),
        ({"max_concurrency": "NaN"}, ACCEPTED_CONCURRENCY + "'NaN'"),
    ],
)
def test_values_that_are_not_finite_numbers_are_refused_naming_the_field_and_the_range(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConnectionConfigError) as caught:
        settings(**changes)
    assert str(caught.value).startswith(message)


def test_timeouts_and_concurrency_have_defaults_and_accept_text() -> None:
    default = settings()
    assert default.timeouts == (10.0, 60.0)
    assert default.concurrency == 4
    assert default.cache_backend == "auto"
    tuned = settings(timeout="5", max_concurrency="8")
    assert tuned.timeouts == (5.0, 5.0)
    assert tuned.concurrency == 8


def test_from_connection_reads_login_password_and_extra(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        built = ClientSettings.from_connection(
            login="1000.CLIENT",
            password=SECRET,
            extra=f'{{"refresh_token": "{REFRESH}", "data_center": "JP", "datacenter": "{SECRET}"}}',
        )
    assert built.refresh_token == REFRESH
    assert built.data_center == "jp"
    assert "datacenter" in caplog.text
    assert SECRET not in caplog.text


def test_from_connection_refuses_broken_extra() -> None:
    with pytest.raises(ConnectionConfigError, match="not valid JSON"):
        ClientSettings.from_connection(login="a", password="b", extra="{")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"cache_backend": "file"}, "file"),
        ({"token_cache": "memory"}, "memory"),  # the extra's first name is still read
        ({"token_cache": "memory", "cache_backend": "variable"}, "variable"),
        ({"extra__bigin__cache_backend": "file", "cache_backend": "memory"}, "memory"),
        ({"cache_backend": ""}, "auto"),
    ],
)
def test_cache_backend_extra_and_its_old_name_choose_the_token_store(
    extra: dict[str, str], expected: str
) -> None:
    built = ClientSettings.from_connection(
        login="1000.CLIENT", password=SECRET, extra={"refresh_token": REFRESH, **extra}
    )
    assert built.cache_backend == expected


def test_from_connection_refuses_an_extra_that_is_not_an_object() -> None:
    with pytest.raises(ConnectionConfigError, match="must be a JSON object"):
        ClientSettings.from_connection(login="a", password="b", extra="[1, 2]")
