"""Apache Airflow provider for Zoho Bigin.

This module is imported by Airflow's provider discovery in every process: it imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_bigin import connection_form as form

__version__ = "0.2.0"

PACKAGE_NAME = "airflow-provider-bigin"


def get_provider_info() -> dict[str, Any]:
    """What Airflow's ProvidersManager reads through the ``apache_airflow_provider`` entry point."""
    behaviour = form.ui_field_behaviour()
    return {
        "package-name": PACKAGE_NAME,
        "name": "Zoho Bigin",
        "description": "Zoho Bigin: tag operators with per-record results, OAuth from an Airflow Connection, "
        "and an offline sandbox of the Bigin API.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Zoho Bigin",
                "external-doc-url": "https://www.bigin.com/developer/docs/apis/v2/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": "Zoho Bigin", "python-modules": ["airflow_provider_bigin.hooks.bigin"]},
        ],
        "operators": [
            {"integration-name": "Zoho Bigin", "python-modules": ["airflow_provider_bigin.operators.tags"]},
        ],
        # The bigin:// asset scheme: Airflow normalises and checks every such URI with the handler, and the
        # OpenLineage provider turns such assets into datasets with the converter.
        "asset-uris": [
            {
                "schemes": ["bigin"],
                "handler": "airflow_provider_bigin.lineage.uris.sanitize_uri",
                "factory": "airflow_provider_bigin.lineage.assets.bigin_asset",
                "to_openlineage_converter": "airflow_provider_bigin.lineage.openlineage.convert_asset",
            }
        ],
        "connection-types": [
            {
                "connection-type": form.CONN_TYPE,
                "hook-class-name": "airflow_provider_bigin.hooks.bigin.BiginHook",
                "hook-name": form.HOOK_NAME,
                "conn-fields": form.conn_fields(),
                "ui-field-behaviour": {
                    "hidden-fields": behaviour["hidden_fields"],
                    "relabeling": behaviour["relabeling"],
                    "placeholders": behaviour["placeholders"],
                },
            }
        ],
    }
