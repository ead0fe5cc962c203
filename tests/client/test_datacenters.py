from __future__ import annotations

import pytest

from airflow_provider_bigin.client.datacenters import (
    DATA_CENTERS,
    check_credential_url,
    data_center_for_api_domain,
    get_data_center,
    is_loopback_host,
)
from airflow_provider_bigin.errors import ConnectionConfigError
from tests.data_centres import EXPECTED_DATA_CENTRES


@pytest.mark.parametrize("code", sorted(EXPECTED_DATA_CENTRES))
def test_each_data_center_maps_to_its_accounts_server_and_api_domain(code: str) -> None:
    dc = get_data_center(code.upper())
    assert (dc.accounts_url, dc.api_domain) == EXPECTED_DATA_CENTRES[code]
    assert data_center_for_api_domain(dc.api_domain + "/") == dc
    assert data_center_for_api_domain(dc.api_domain.upper()) == dc


def test_table_has_exactly_the_eight_data_centers() -> None:
    assert set(DATA_CENTERS) == set(EXPECTED_DATA_CENTRES)


def test_missing_data_center_means_us() -> None:
    assert get_data_center(None).code == "us"
    assert get_data_center("  ").code == "us"


def test_unknown_data_center_names_the_valid_ones() -> None:
    with pytest.raises(ConnectionConfigError, match=r"Unknown data_center 'mars'.*us, eu, au"):
        get_data_center("mars")


def test_unknown_api_domain_has_no_data_center() -> None:
    assert data_center_for_api_domain("https://www.zohoapis.example") is None
    assert data_center_for_api_domain("not a url") is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.5.6.7", "localhost", "[::1]", "api.localhost"])
def test_loopback_hosts_are_recognised(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "127.0.0.1.nip.io", "localhost.example.com"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)


def test_plain_http_is_allowed_to_loopback_only() -> None:
    assert check_credential_url("http://127.0.0.1:8080/x", field="api_domain", explicit=True) == (
        "http://127.0.0.1:8080"
    )
    with pytest.raises(ConnectionConfigError, match="plain http"):
        check_credential_url("http://accounts.zoho.com", field="accounts_url", explicit=False)
    with pytest.raises(ConnectionConfigError, match="plain http"):
        check_credential_url("http://proxy.example.com", field="accounts_url", explicit=True)


def test_https_outside_the_table_needs_an_explicit_override() -> None:
    with pytest.raises(ConnectionConfigError, match="not a Zoho host"):
        check_credential_url("https://evil.example.com", field="accounts_url", explicit=False)
    assert check_credential_url("https://zoho.internal.example", field="x", explicit=True) == (
        "https://zoho.internal.example"
    )


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ConnectionConfigError, match="https"):
        check_credential_url("ftp://accounts.zoho.com", field="accounts_url", explicit=True)
    with pytest.raises(ConnectionConfigError, match="absolute URL"):
        check_credential_url("accounts.zoho.com", field="accounts_url", explicit=True)
