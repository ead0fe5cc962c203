"""Airflow Assets of Bigin modules, for ``outlets`` and for ``schedule``.

``bigin_asset("Contacts", data_center="eu")`` reads nothing and costs nothing at parse time.
``bigin_asset("Contacts", conn_id="bigin_default")`` takes the host from the connection, as the tag operators
do at run time, so that the asset a DAG is scheduled on is the one the task writes; it reads the connection
(no secret) each time the DAG file is parsed: cheap from the environment, a call to a secrets backend
otherwise.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, AssetAlias

from airflow_provider_bigin.errors import ConnectionConfigError
from airflow_provider_bigin.lineage.uris import ModuleRef, module_ref


def connection_api_domain(conn_id: str) -> str:
    """The API domain a Bigin connection calls: its ``api_domain`` override, else its data centre's."""
    from airflow.sdk import BaseHook  # noqa: PLC0415  # only the conn_id form needs it

    from airflow_provider_bigin.client.datacenters import get_data_center  # noqa: PLC0415
    from airflow_provider_bigin.client.settings import settings_kwargs_from_extra  # noqa: PLC0415
    from airflow_provider_bigin.version_compat import AirflowNotFoundException  # noqa: PLC0415

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ConnectionConfigError(
            f"connection {conn_id!r} is not defined, so its Bigin asset has no host: define it, or build "
            "the asset with data_center= instead of conn_id=."
        ) from None
    extra = settings_kwargs_from_extra(conn.extra_dejson, source=f"Connection {conn_id!r}")
    return str(extra.get("api_domain") or get_data_center(extra.get("data_center")).api_domain)


def bigin_asset(
    module: str,
    *,
    data_center: str | None = None,
    api_domain: str | None = None,
    conn_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Asset:
    """The Asset ``bigin://{api host}/{module}`` (named by its URI); at most one of the three host sources.

    :param module: the module, any spelling the operators accept (``Deals`` gives ``Pipelines``).
    :param data_center: ``us`` (the default when no source is given), ``eu``, ``au``, ...
    :param api_domain: an API domain, for a data centre newer than the provider or the sandbox.
    :param conn_id: a Bigin connection, whose host is read when this is called.
    """
    if sum(source is not None for source in (data_center, api_domain, conn_id)) > 1:
        raise ConnectionConfigError("give one of data_center, api_domain and conn_id: each names the host.")
    if conn_id is not None:
        api_domain = connection_api_domain(conn_id)
    return asset_of(module_ref(module, data_center=data_center, api_domain=api_domain), extra=extra)


def asset_of(ref: ModuleRef, *, extra: dict[str, Any] | None = None) -> Asset:
    return Asset(name=ref.uri, uri=ref.uri, extra=extra or {})


def bigin_asset_alias(name: str) -> AssetAlias:
    """An alias for tag operators mapped over several modules: each run adds the module it changed.

    Airflow records an event on every Asset in ``outlets``, whatever the task did; a task mapped over
    Contacts and Pipelines therefore names an alias, and each of its task instances adds its own module's
    asset to it, with the run's figures as the event's extra.
    """
    return AssetAlias(name=name, group="bigin")
