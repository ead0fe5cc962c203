"""The Bigin connection as the form must show it: the README's connection contract, apart from the form code.

Field names, which are secret and the defaults come from that contract, not from ``connection_form.py``,
so that a field dropped from (or added to) the declared form fails the UI check. Labels are the declared
ones: the check proves that Airflow shows them, while their wording belongs to ``connection_form.py``.
"""

from __future__ import annotations

from airflow_provider_bigin import connection_form
from tests.deployment.ui_form import FormContract

#: The extra that names where access tokens are cached (one place to change if the extra is renamed).
CACHE_BACKEND_FIELD = "cache_backend"  # not "token_cache": Airflow masks keys containing "token"
#: The connection contract: login = client id, password = client secret, and these extras.
EXTRA_FIELD_NAMES = (
    "refresh_token",
    "data_center",
    "accounts_url",
    "api_domain",
    "timeout",
    "max_concurrency",
    CACHE_BACKEND_FIELD,
)


def _declared_label(name: str) -> str:
    declared = connection_form.EXTRA_FIELDS.get(name)
    return declared[0] if declared else f"<{name} is not declared in connection_form.py>"


CONTRACT = FormContract(
    fields={
        "login": "Client ID",
        "password": "Client Secret",
        **{name: _declared_label(name) for name in EXTRA_FIELD_NAMES},
    },
    secrets=frozenset({"password", "refresh_token"}),
    defaults={"data_center": "us", CACHE_BACKEND_FIELD: "auto"},
)

#: Airflow 3.1's UI renders every extra field as plain text (its form knows no ``format: password``; 3.2 added
#: it), so there the refresh token cannot be masked by any provider: the contract on 3.1 says so explicitly.
AIRFLOW_3_1_CONTRACT = FormContract(
    fields=CONTRACT.fields,
    secrets=frozenset({"password"}),
    defaults=CONTRACT.defaults,
)


def contract_for(airflow_version: str) -> FormContract:
    """The contract the form of this Airflow version can meet."""
    major, minor = (int(part) for part in airflow_version.split(".")[:2])
    return AIRFLOW_3_1_CONTRACT if (major, minor) < (3, 2) else CONTRACT
