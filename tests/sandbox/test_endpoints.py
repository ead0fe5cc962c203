"""The endpoint table: the names in stats and the app's routing both come from it, and cannot drift apart."""

from __future__ import annotations

import pytest

from airflow_provider_bigin.sandbox.api.endpoints import (
    ENDPOINTS,
    EndpointTableError,
    Handlers,
    in_table_order,
)
from airflow_provider_bigin.sandbox.api.oauth import accounts_handlers
from airflow_provider_bigin.sandbox.api.records import record_handlers
from airflow_provider_bigin.sandbox.api.settings import settings_handlers
from airflow_provider_bigin.sandbox.api.tags import tag_handlers
from airflow_provider_bigin.sandbox.config import SandboxConfig
from airflow_provider_bigin.sandbox.state import SandboxState
from tests.sandbox.conftest import SAMPLE_IDS, Api

SERVED = {
    endpoint.path.replace("{module}", "Contacts").replace("{record_id}", SAMPLE_IDS[0])
    for endpoint in ENDPOINTS
}
PATHS = sorted(
    SERVED | {"/bigin/v2/Contacts/actions/other", "/bigin/v2/Contacts/", "/oauth/v2/auth", "/no/such/path"}
)


def test_every_request_is_named_as_the_app_routed_it(api: Api) -> None:
    """A wrong method is 405 and invalid_method, an unknown path 404 and invalid_url, the rest by name."""
    for path in PATHS:
        for method in ("GET", "POST", "PUT", "DELETE"):
            api.sandbox.reset_stats()
            reply = api.call(method, path)
            (name,) = api.sandbox.stats()["calls"]
            routed = {405: "invalid_method", 404: "invalid_url"}.get(reply.status_code, "an endpoint")
            named = name if name in {"invalid_method", "invalid_url"} else "an endpoint"
            assert (method, path, named) == (method, path, routed), reply.text
            if named == "an endpoint":
                endpoint = next(endpoint for endpoint in ENDPOINTS if endpoint.name == name)
                assert (endpoint.method, endpoint.matches_path(path)) == (method, True)


def _handlers() -> list[Handlers]:
    state = SandboxState(SandboxConfig())
    return [accounts_handlers(state), settings_handlers(state), tag_handlers(state), record_handlers(state)]


def test_the_handlers_cover_the_table_exactly_in_its_order() -> None:
    assert [endpoint for endpoint, _ in in_table_order(*_handlers())] == list(ENDPOINTS)


def test_an_endpoint_without_a_handler_stops_the_app_from_being_built() -> None:
    *served, _records = _handlers()
    with pytest.raises(EndpointTableError, match=r"without a handler: \['get_records', 'get_record'\]"):
        in_table_order(*served)


def test_a_handler_named_outside_the_table_is_refused_when_it_registers() -> None:
    with pytest.raises(EndpointTableError, match="'get_notes' has no entry in ENDPOINTS"):
        Handlers()("get_notes")


def test_two_handlers_for_one_endpoint_are_refused() -> None:
    handlers = _handlers()
    with pytest.raises(EndpointTableError, match=r"two handlers: \['revoke', 'token'\]"):
        in_table_order(*handlers, handlers[0])
    extra = Handlers()
    extra("token")(lambda: None)
    with pytest.raises(EndpointTableError, match="'token' has two handlers"):
        extra("token")(lambda: None)
