"""The eight Zoho data centres, and where credentials may be sent.

A Bigin account lives in one data centre: its refresh token is only accepted by that centre's accounts server,
and its records are only served by that centre's API domain. Credentials are sent only to a host of this table
over https, to a host that the connection names explicitly, or over plain http to loopback (the sandbox).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from airflow_provider_bigin.errors import ConnectionConfigError

DEFAULT_DATA_CENTER = "us"


@dataclass(frozen=True)
class DataCenter:
    """One Zoho data centre: its code, accounts server and API domain (origins, no trailing slash)."""

    code: str
    accounts_url: str
    api_domain: str

    @property
    def label(self) -> str:
        """The code as Zoho writes it ("EU"), for messages."""
        return self.code.upper()


# https://www.bigin.com/developer/docs/apis/v2/multi-dc.html (CA and SA from Zoho's accounts-server list);
# docs/zoho-facts.md, section 3. In the order Zoho's multi-DC page lists them.
DATA_CENTERS: dict[str, DataCenter] = {
    dc.code: dc
    for dc in (
        DataCenter("us", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        DataCenter("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        DataCenter("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        DataCenter("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        DataCenter("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        DataCenter("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        DataCenter("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
        DataCenter("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    )
}
#: The data-centre codes, owned here: the connection form and every message take them from this table.
DATA_CENTER_CODES: Final = tuple(DATA_CENTERS)


def get_data_center(code: str | None) -> DataCenter:
    """The data centre for a code such as "EU" (case-insensitive; empty means US)."""
    key = (code or "").strip().lower() or DEFAULT_DATA_CENTER
    try:
        return DATA_CENTERS[key]
    except KeyError:
        raise ConnectionConfigError(
            f"Unknown data_center {code!r}: use one of {', '.join(DATA_CENTERS)}. For a data centre newer "
            "than this table, leave data_center out and set both accounts_url and api_domain."
        ) from None


def origin_of(url: str) -> str:
    """scheme://host[:port] in lower case, the form in which two URLs are compared."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        raise ConnectionConfigError(f"{url!r} is not an absolute URL such as https://www.zohoapis.com.")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def data_center_for_api_domain(url: str) -> DataCenter | None:
    """The data centre whose API domain (or accounts server) is this URL's origin, or None."""
    try:
        origin = origin_of(url)
    except ConnectionConfigError:
        return None
    for dc in DATA_CENTERS.values():
        if origin in (dc.api_domain, dc.accounts_url):
            return dc
    return None


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses, the only hosts that may see credentials over plain http."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_credential_url(url: str, *, field: str, explicit: bool) -> str:
    """Return the origin of `url` if credentials may be sent there, else raise ConnectionConfigError.

    :param field: the connection field the URL came from, named in the message.
    :param explicit: True when the connection names this URL itself (an override): any https host is then
        allowed, because the user chose it. Otherwise only the hosts of the table are.
    """
    origin = origin_of(url)
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if parts.scheme == "http":
        if is_loopback_host(host):
            return origin
        raise ConnectionConfigError(
            f"{field} {origin} uses plain http: credentials are only sent over https "
            "(plain http is allowed for loopback hosts such as 127.0.0.1 only)."
        )
    if parts.scheme != "https":
        raise ConnectionConfigError(f"{field} {origin} must be an https URL.")
    if explicit or data_center_for_api_domain(origin) is not None:
        return origin
    raise ConnectionConfigError(
        f"{field} {origin} is not a Zoho host of the data-centre table: set it explicitly in the "
        "connection extra if you trust it."
    )


def api_domain_for_token(dc: DataCenter, token_api_domain: str | None, *, explicit: bool) -> str:
    """The API domain to call with a token: the connection's own, refused when the token belongs elsewhere.

    Zoho names the token's API domain in the grant reply; a token of another data centre would carry the
    credentials' owner's records to the wrong place, so it stops the run. With an explicit api_domain
    override, any host is accepted that lies in the connection's own data centre.
    """
    expected = dc.api_domain
    if not token_api_domain:
        return expected
    try:
        given = origin_of(token_api_domain)
    except ConnectionConfigError:
        given = token_api_domain
    owner = data_center_for_api_domain(given)
    if given == expected or (explicit and owner is not None and owner.code == dc.code):
        return expected
    label = owner.label if owner else given
    advice = (
        f"set data_center to {owner.code!r}, the data centre of the Bigin account."
        if owner
        else "set data_center, or api_domain, to the data centre of the Bigin account."
    )
    raise ConnectionConfigError(
        f"The access token belongs to {label} ({given}), the connection says {dc.label} ({expected}): "
        + advice
    )
