"""The bigin:// scheme as Airflow sees it: registered, normalised, and typos refused at parse time."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Asset

from airflow_provider_bigin import get_provider_info
from airflow_provider_bigin.lineage.assets import bigin_asset
from airflow_provider_bigin.lineage.uris import bigin_uri, parse_uri, sanitize_uri


def test_provider_info_registers_the_scheme_with_handler_factory_and_converter() -> None:
    (entry,) = get_provider_info()["asset-uris"]
    assert entry == {
        "schemes": ["bigin"],
        "handler": "airflow_provider_bigin.lineage.uris.sanitize_uri",
        "factory": "airflow_provider_bigin.lineage.assets.bigin_asset",
        "to_openlineage_converter": "airflow_provider_bigin.lineage.openlineage.convert_asset",
    }


def test_airflow_loads_the_registered_handler_factory_and_converter() -> None:
    try:  # Airflow 3.2+: the Task SDK's own registry, which Asset() consults
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime as Manager
    except ImportError:  # Airflow 3.1
        from airflow.providers_manager import ProvidersManager as Manager  # type: ignore[assignment]

    manager = Manager()
    assert manager.asset_uri_handlers["bigin"] is sanitize_uri
    assert manager.asset_factories["bigin"] is bigin_asset
    assert manager.asset_to_openlineage_converters["bigin"].__name__ == "convert_asset"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("bigin://www.zohoapis.eu/Contacts", "bigin://www.zohoapis.eu/Contacts"),
        ("BIGIN://WWW.ZohoAPIs.EU/contacts/", "bigin://www.zohoapis.eu/Contacts"),
        ("bigin://www.zohoapis.com/Deals", "bigin://www.zohoapis.com/Pipelines"),
        ("bigin://www.zohoapis.com.au/companies", "bigin://www.zohoapis.com.au/Accounts"),
        ("bigin://127.0.0.1:8080/Calls", "bigin://127.0.0.1:8080/Calls"),
    ],
)
def test_an_asset_uri_is_normalised_to_its_host_and_module_api_name(written: str, canonical: str) -> None:
    assert Asset(written).uri == canonical


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("bigin://www.zohoapis.com/Leads", "Unknown module 'Leads'"),
        ("bigin://www.zohoapis.com/", "exactly one module"),
        ("bigin://www.zohoapis.com/Contacts/123", "exactly one module"),
        ("bigin:///Contacts", "names no API host"),
        ("bigin://www.zohoapis.com/Contacts?tag=A", "without user, query or fragment"),
    ],
)
def test_a_malformed_asset_uri_fails_when_the_dag_is_parsed(uri: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("?", r"\?")):
        Asset(uri)


def test_the_builder_names_the_host_by_data_centre_or_api_domain() -> None:
    assert bigin_uri("Contacts") == "bigin://www.zohoapis.com/Contacts"  # US, the default
    assert bigin_uri("deals", data_center="EU") == "bigin://www.zohoapis.eu/Pipelines"
    assert bigin_uri("Tasks", api_domain="https://www.ZohoAPIs.ca/") == "bigin://www.zohoapis.ca/Tasks"
    with pytest.raises(ValueError, match="Unknown data_center 'mars'"):
        bigin_uri("Contacts", data_center="mars")
    assert parse_uri("bigin://www.zohoapis.in/Products").namespace == "bigin://www.zohoapis.in"


def test_an_asset_built_from_a_connection_takes_its_host(monkeypatch: pytest.MonkeyPatch) -> None:
    eu = {
        "conn_type": "bigin",
        "login": "id",
        "password": "secret",
        "extra": {"refresh_token": "r", "data_center": "eu"},
    }
    sandbox = {**eu, "extra": {"refresh_token": "r", "api_domain": "http://127.0.0.1:9999"}}
    monkeypatch.setenv("AIRFLOW_CONN_BIGIN_EU", json.dumps(eu))
    monkeypatch.setenv("AIRFLOW_CONN_BIGIN_LOCAL", json.dumps(sandbox))

    assert bigin_asset("Deals", conn_id="bigin_eu") == Asset("bigin://www.zohoapis.eu/Pipelines")
    assert bigin_asset("Contacts", conn_id="bigin_local").uri == "bigin://127.0.0.1:9999/Contacts"
    assert bigin_asset("Contacts", conn_id="bigin_eu").name == "bigin://www.zohoapis.eu/Contacts"


def test_an_asset_of_an_undefined_connection_or_two_hosts_is_refused() -> None:
    with pytest.raises(ValueError, match="connection 'bigin_nowhere' is not defined"):
        bigin_asset("Contacts", conn_id="bigin_nowhere")
    with pytest.raises(ValueError, match="give one of data_center, api_domain and conn_id"):
        bigin_asset("Contacts", data_center="eu", conn_id="bigin_default")
