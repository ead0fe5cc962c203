"""The OAuth clients (self clients) a sandbox knows, each with one refresh token and one Bigin user.

Credentials are fixed strings derived from the client's name, so that a connection copied from one run works
in the next; they are fake and only ever valid against a sandbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from airflow_provider_bigin.sandbox.modules import MODULES
from airflow_provider_bigin.sandbox.scopes import FULL_ACCESS_SCOPE


@dataclass(frozen=True)
class ClientSpec:
    """A Zoho API client, its refresh token, the token's scopes and whether its user may change records.

    ``write_denial`` is None when the user may change records, else the 403 code its changes get: the error
    table of Zoho's Remove Tags page (docs/zoho-facts.md, section 6) lists both NO_PERMISSION and
    AUTHORIZATION_FAILED ("does not have sufficient privilege").
    """

    name: str
    client_id: str
    client_secret: str
    refresh_token: str
    scope: str
    write_denial: WriteDenial | None = None

    @property
    def can_write(self) -> bool:
        return self.write_denial is None

    def __repr__(self) -> str:
        return f"ClientSpec(name={self.name!r}, client_id={self.client_id!r}, scope={self.scope!r})"


WriteDenial = Literal["NO_PERMISSION", "AUTHORIZATION_FAILED"]
WRITE_DENIALS: tuple[WriteDenial, ...] = ("NO_PERMISSION", "AUTHORIZATION_FAILED")


def _fixed_hex(purpose: str, name: str, length: int) -> str:
    return hashlib.sha256(f"bigin-sandbox:{purpose}:{name}".encode()).hexdigest()[:length]


def make_client(
    name: str, scope: str = FULL_ACCESS_SCOPE, *, write_denial: WriteDenial | None = None
) -> ClientSpec:
    """A client whose credentials have Zoho's shapes (``1000.`` + 30 characters id, 42-hex secret)."""
    return ClientSpec(
        name=name,
        client_id="1000." + _fixed_hex("client-id", name, 30).upper(),
        client_secret=_fixed_hex("client-secret", name, 42),
        refresh_token=f"1000.{_fixed_hex('refresh-a', name, 32)}.{_fixed_hex('refresh-b', name, 32)}",
        scope=scope,
        write_denial=write_denial,
    )


READ_ONLY_SCOPE = ",".join(
    [f"ZohoBigin.modules.{info.scope_name}.READ" for info in MODULES.values()] + ["ZohoBigin.settings.ALL"]
)

# "default": everything; "readonly": no module WRITE scope (writes get 401 OAUTH_SCOPE_MISMATCH);
# "noperm": full scopes but a user without permission to change records (writes get 403 NO_PERMISSION);
# "noprivilege": the same with the other 403 code in the error table of Zoho's Remove Tags page
# (AUTHORIZATION_FAILED; docs/zoho-facts.md, section 6).
DEFAULT_CLIENTS: tuple[ClientSpec, ...] = (
    make_client("default"),
    make_client("readonly", READ_ONLY_SCOPE),
    make_client("noperm", write_denial="NO_PERMISSION"),
    make_client("noprivilege", write_denial="AUTHORIZATION_FAILED"),
)
