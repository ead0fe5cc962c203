"""The Airflow connection that points the provider at a sandbox, as a dict, JSON or an environment variable.

Plain data only (no Airflow import): ``conn_type`` ``bigin``; the client id and secret as login and password;
the refresh token and both endpoints in ``extra``, so that nothing reaches a real Zoho host.
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_CONN_ID = "bigin_default"


def sandbox_connection(
    url: str, client_id: str, client_secret: str, refresh_token: str, **extra_overrides: Any
) -> dict[str, Any]:
    # No "data_center": the URLs say where the sandbox is, and the default (us) is what it would say. Airflow
    # feeds every extra to its secrets masker, which logs "Skipping masking for a secret as it's too short"
    # for any value under 5 characters, sensitive key or not: "us" made every sandbox task log that warning.
    extra: dict[str, Any] = {
        "refresh_token": refresh_token,
        "accounts_url": url,
        "api_domain": url,
        **extra_overrides,
    }
    return {"conn_type": "bigin", "login": client_id, "password": client_secret, "extra": extra}


def connection_env_name(conn_id: str = DEFAULT_CONN_ID) -> str:
    """``AIRFLOW_CONN_<CONN_ID>``: how Airflow finds a connection in the environment."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def connection_json(connection: dict[str, Any]) -> str:
    return json.dumps(connection, separators=(",", ":"))
