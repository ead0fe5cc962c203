"""Airflow finds the provider and its connection type the way a user's installation would."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import airflow
import jsonschema
import pytest

from airflow_provider_bigin import get_provider_info
from tests.foundation.discovery import assert_discovered

AIRFLOW_PACKAGE = Path(airflow.__file__).parent


def _schema(name: str) -> dict[str, Any]:
    return json.loads((AIRFLOW_PACKAGE / name).read_text())


def test_provider_info_validates_against_the_installed_airflow_schema():
    jsonschema.validate(get_provider_info(), _schema("provider_info.schema.json"))


def test_connection_type_validates_against_the_declarative_provider_yaml_schema():
    """provider_info.schema.json does not describe conn-fields; provider.yaml's schema does, strictly."""
    yaml_schema = _schema("provider.yaml.schema.json")
    connection_type_schema = yaml_schema["properties"]["connection-types"]["items"]
    for connection_type in get_provider_info()["connection-types"]:
        jsonschema.validate(connection_type, connection_type_schema)


def test_form_shows_exactly_the_connection_contract():
    (connection_type,) = get_provider_info()["connection-types"]
    assert connection_type["connection-type"] == "bigin"
    assert connection_type["hook-name"] == "Zoho Bigin"
    assert set(connection_type["conn-fields"]) == {
        "refresh_token",
        "data_center",
        "accounts_url",
        "api_domain",
        "timeout",
        "max_concurrency",
        "cache_backend",
    }
    assert connection_type["conn-fields"]["refresh_token"]["schema"]["format"] == "password"
    assert connection_type["conn-fields"]["data_center"]["schema"]["enum"] == [
        "us", "eu", "au", "in", "cn", "jp", "sa", "ca",
    ]  # fmt: skip
    behaviour = connection_type["ui-field-behaviour"]
    assert set(behaviour["hidden-fields"]) == {"host", "port", "schema", "extra"}
    assert behaviour["relabeling"] == {"login": "Client ID", "password": "Client Secret"}


@pytest.mark.slow
def test_airflow_cli_discovers_the_provider_and_its_connection_type(tmp_path: Path):
    assert_discovered(sys.executable, tmp_path)
