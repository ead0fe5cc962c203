"""The ``bigin://{api host}/{module}`` URI: one Bigin module of one account, as Airflow and lineage name it.

The host is the API host the connection calls (``www.zohoapis.eu``; the sandbox's ``127.0.0.1:PORT``), so
the same module in two data centres is two datasets. The module is its v2 API name: ``Deals`` and
``Companies`` become ``Pipelines`` and ``Accounts``, and an unknown module is refused, so that two spellings
never make two assets. Plain Python: Airflow calls :func:`sanitize_uri` while it parses DAG files.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

from airflow_provider_bigin.client.datacenters import get_data_center, origin_of
from airflow_provider_bigin.client.inputs import resolve_module
from airflow_provider_bigin.errors import InvalidInputError

SCHEME = "bigin"


class ModuleRef(NamedTuple):
    """What a ``bigin://`` URI names: an API host and a module API name."""

    host: str
    module: str

    @property
    def namespace(self) -> str:
        """The OpenLineage namespace: the scheme and the host (the account's data centre)."""
        return f"{SCHEME}://{self.host}"

    @property
    def uri(self) -> str:
        return f"{self.namespace}/{self.module}"


def api_host(api_domain: str) -> str:
    """``www.zohoapis.eu`` for ``https://www.zohoapis.eu``: the host (and a port, if any) in lower case."""
    return origin_of(api_domain).split("://", 1)[1]


def module_ref(module: str, *, data_center: str | None = None, api_domain: str | None = None) -> ModuleRef:
    """The module of an account, named by its data centre (default US) or by its API domain."""
    if data_center is not None and api_domain is not None:
        raise InvalidInputError("give data_center or api_domain, not both: the API domain names the host.")
    domain = api_domain if api_domain is not None else get_data_center(data_center).api_domain
    return ModuleRef(api_host(domain), resolve_module(module))


def bigin_uri(module: str, *, data_center: str | None = None, api_domain: str | None = None) -> str:
    """``bigin://www.zohoapis.eu/Contacts`` for ``bigin_uri("contacts", data_center="eu")``."""
    return module_ref(module, data_center=data_center, api_domain=api_domain).uri


def parse_uri(uri: str) -> ModuleRef:
    """The host and module of a ``bigin://`` URI, normalised; a ValueError says what is wrong."""
    return _ref_of(urlsplit(uri.strip()))


def _ref_of(parts: SplitResult) -> ModuleRef:
    if parts.scheme.lower() != SCHEME:
        raise InvalidInputError(f"{parts.geturl()!r} is not a {SCHEME}:// URI.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidInputError(
            f"{parts.geturl()!r}: a {SCHEME}:// URI is {SCHEME}://{{api host}}/{{module}}, "
            "without user, query or fragment."
        )
    if not parts.hostname:
        raise InvalidInputError(
            f"{parts.geturl()!r} names no API host: write {SCHEME}://www.zohoapis.com/Contacts."
        )
    path = parts.path.strip("/")
    if not path or "/" in path:
        raise InvalidInputError(
            f"{parts.geturl()!r} must name exactly one module after the host, as in "
            f"{SCHEME}://www.zohoapis.com/Contacts."
        )
    return ModuleRef(api_host(f"https://{parts.netloc}"), resolve_module(path))


def sanitize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's normaliser of the scheme (``asset-uris`` handler): canonical host and module, or ValueError.

    Airflow calls it for every ``Asset("bigin://...")``, so a typo in a module fails when the DAG is parsed.
    """
    ref = _ref_of(parts)
    return SplitResult(SCHEME, ref.host, f"/{ref.module}", "", "")
