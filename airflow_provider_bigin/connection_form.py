"""The Bigin connection form, declared once.

Airflow 3.2+ reads it from ``get_provider_info()`` (``conn-fields`` and ``ui-field-behaviour``) without
importing the hook; Airflow 3.1 asks the hook's ``get_connection_form_widgets()``. Both are built from these
tables so the two can never disagree. Plain data, no Airflow import: ``get_provider_info()`` must stay cheap.
The vocabularies come from their owners in the client: data-centre codes and cache backends.
"""

from __future__ import annotations

from typing import Any, Final

from airflow_provider_bigin.client.datacenters import DATA_CENTER_CODES, DEFAULT_DATA_CENTER
from airflow_provider_bigin.client.tokens.stores import CACHE_BACKENDS

CONN_TYPE: Final = "bigin"
HOOK_NAME: Final = "Zoho Bigin"
DEFAULT_CONN_ID: Final = "bigin_default"

#: Standard fields the Bigin connection does not use.
HIDDEN_FIELDS: Final = ("host", "port", "schema", "extra")
RELABELING: Final = {"login": "Client ID", "password": "Client Secret"}
PLACEHOLDERS: Final = {
    "login": "1000.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX (from api-console.zoho.com)",
    "password": "client secret of the same self client",
}

#: Fields stored in ``Connection.extra``: name -> (label, description, JSON schema).
EXTRA_FIELDS: Final[dict[str, tuple[str, str, dict[str, Any]]]] = {
    "refresh_token": (
        "Refresh Token",
        "Zoho OAuth refresh token with the ZohoBigin scopes the DAGs need (see the README).",
        {"type": "string", "format": "password"},
    ),
    "data_center": (
        "Data Centre",
        f"Where the Bigin account lives: {', '.join(DATA_CENTER_CODES[:-1])} or {DATA_CENTER_CODES[-1]}.",
        {"type": "string", "enum": list(DATA_CENTER_CODES), "default": DEFAULT_DATA_CENTER},
    ),
    "accounts_url": (
        "Accounts Server Override",
        "Only for a data centre newer than this provider, or the offline sandbox: Zoho Accounts' base URL.",
        {"type": ["string", "null"], "format": "url"},
    ),
    "api_domain": (
        "API Domain Override",
        "Only with an accounts override: the Bigin API domain the tokens must belong to.",
        {"type": ["string", "null"], "format": "url"},
    ),
    "timeout": (
        "Timeout (seconds)",
        "Read timeout of each Bigin call; connecting gets at most 10 seconds. Default 60.",
        {"type": ["number", "null"], "minimum": 1},
    ),
    "max_concurrency": (
        "Max Concurrent Calls",
        "Most calls in flight per task, 1 to 10 (default 4). Bigin caps calls in flight per org, about 10 (5 "
        "on the free plan), for all tasks together; each task lowers its own on a 429.",
        {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
    ),
    # Not "token_cache": Airflow masks every extra whose key contains "token" (the form showed "***").
    "cache_backend": (
        "Token Cache",
        "Where access tokens are shared between task processes: auto (an Airflow Variable inside tasks), "
        "variable, file or memory.",
        {"type": "string", "enum": list(CACHE_BACKENDS), "default": "auto"},
    ),
}


def conn_fields() -> dict[str, dict[str, Any]]:
    """The ``conn-fields`` mapping of provider info (Airflow 3.2+)."""
    return {
        name: {"label": label, "description": description, "schema": dict(schema)}
        for name, (label, description, schema) in EXTRA_FIELDS.items()
    }


def ui_field_behaviour() -> dict[str, Any]:
    """The hook-style field behaviour (Airflow 3.1 calls ``get_ui_field_behaviour()``)."""
    return {
        "hidden_fields": list(HIDDEN_FIELDS),
        "relabeling": dict(RELABELING),
        "placeholders": dict(PLACEHOLDERS),
    }
