"""Every Zoho endpoint the sandbox serves: the one table that both routes requests and names them in stats.

The app registers each handler at its entry's method and path, in the table's order, and the network layer
names each request from the same table (``endpoint_name``), so the names in ``stats()["calls"]`` never depend
on how the web framework represents its routes. A handler registers by name only (``Handlers``); the app
refuses to start when a name is not in the table, or when an entry has no handler.

Paths are matched as the framework matches them: a ``{param}`` is one non-empty path segment, and the first
entry that matches wins, so the settings paths come before ``/bigin/v2/{module}/{record_id}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)

INVALID_METHOD = "invalid_method"  # a path the sandbox serves, with another method (405)
INVALID_URL = "invalid_url"  # a path the sandbox does not serve (404)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # a template: literal segments and ``{param}`` segments

    def matches_path(self, path: str) -> bool:
        template, actual = self.path.split("/"), path.split("/")
        return len(template) == len(actual) and all(
            part == got or (part.startswith("{") and part.endswith("}") and got != "")
            for part, got in zip(template, actual, strict=True)
        )


# Zoho Accounts (docs/zoho-facts.md, section 3), then the Bigin v2 API (sections 1, 2 and 6), in match order.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("token", "POST", "/oauth/v2/token"),
    Endpoint("revoke", "POST", "/oauth/v2/token/revoke"),
    Endpoint("get_tags", "GET", "/bigin/v2/settings/tags"),
    Endpoint("create_tags", "POST", "/bigin/v2/settings/tags"),
    Endpoint("modules", "GET", "/bigin/v2/settings/modules"),
    Endpoint("remove_tags", "POST", "/bigin/v2/{module}/actions/remove_tags"),
    Endpoint("remove_tags_one", "POST", "/bigin/v2/{module}/{record_id}/actions/remove_tags"),
    Endpoint("add_tags", "POST", "/bigin/v2/{module}/actions/add_tags"),
    Endpoint("add_tags_one", "POST", "/bigin/v2/{module}/{record_id}/actions/add_tags"),
    Endpoint("get_records", "GET", "/bigin/v2/{module}"),
    Endpoint("get_record", "GET", "/bigin/v2/{module}/{record_id}"),
)
_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


class EndpointTableError(RuntimeError):
    """The handlers and the endpoint table disagree: a bug in the sandbox, caught when its app is built."""


def endpoint_name(method: str, path: str) -> str:
    """The endpoint's name ("remove_tags", "token", ...), ``INVALID_METHOD`` or ``INVALID_URL``."""
    known_path = False
    for endpoint in ENDPOINTS:
        if endpoint.matches_path(path):
            if endpoint.method == method:
                return endpoint.name
            known_path = True
    return INVALID_METHOD if known_path else INVALID_URL


class Handlers:
    """Collects a router module's handlers under their table names: ``@handlers("remove_tags")``."""

    def __init__(self) -> None:
        self.by_name: dict[str, Handler] = {}

    def __call__(self, name: str) -> Callable[[H], H]:
        if name not in _BY_NAME:
            raise EndpointTableError(f"handler {name!r} has no entry in ENDPOINTS (sandbox/api/endpoints.py)")

        def register(handler: H) -> H:
            if name in self.by_name:
                raise EndpointTableError(f"endpoint {name!r} has two handlers")
            self.by_name[name] = handler
            return handler

        return register


def in_table_order(*groups: Handlers) -> list[tuple[Endpoint, Handler]]:
    """Every entry with its handler, in match order; raises unless each entry has exactly one handler."""
    handlers: dict[str, Handler] = {}
    for group in groups:
        twice = handlers.keys() & group.by_name.keys()
        if twice:
            raise EndpointTableError(f"endpoints with two handlers: {sorted(twice)}")
        handlers.update(group.by_name)
    missing = [endpoint.name for endpoint in ENDPOINTS if endpoint.name not in handlers]
    if missing:
        raise EndpointTableError(f"endpoints in ENDPOINTS without a handler: {missing}")
    return [(endpoint, handlers[endpoint.name]) for endpoint in ENDPOINTS]
