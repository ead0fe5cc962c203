"""The sandbox's ASGI app: Zoho Accounts and the Bigin v2 API on one origin, plus control endpoints."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_bigin.sandbox.api import errors as api_errors
from airflow_provider_bigin.sandbox.api.endpoints import in_table_order
from airflow_provider_bigin.sandbox.api.oauth import accounts_handlers
from airflow_provider_bigin.sandbox.api.records import record_handlers
from airflow_provider_bigin.sandbox.api.settings import settings_handlers
from airflow_provider_bigin.sandbox.api.tags import tag_handlers
from airflow_provider_bigin.sandbox.conditions import NetworkConditions
from airflow_provider_bigin.sandbox.config import SandboxConfig
from airflow_provider_bigin.sandbox.control import ControlError, control_router
from airflow_provider_bigin.sandbox.state import SandboxState


def _api_error_response(error: api_errors.ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.http_status)


async def _on_api_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, api_errors.ApiError)
    return _api_error_response(error)


async def _on_control_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, ControlError)
    return JSONResponse({"error": error.message}, status_code=error.http_status)


async def _on_routing_error(_: Request, error: Exception) -> Response:
    """Unknown paths and wrong methods get Zoho's 404 INVALID_URL_PATTERN, 405 INVALID_REQUEST_METHOD."""
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return _api_error_response(api_errors.invalid_method())
    if error.status_code == 404:
        return _api_error_response(api_errors.invalid_url())
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)


async def _on_unexpected_error(_: Request, error: Exception) -> Response:
    return _api_error_response(api_errors.internal_error())


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> NetworkConditions:
    """An ASGI app serving one sandbox; give a ``state`` to share it with the caller (tests of the app)."""
    state = state if state is not None else SandboxState(config or SandboxConfig())
    api = FastAPI(
        title="Bigin sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    api.add_exception_handler(api_errors.ApiError, _on_api_error)
    api.add_exception_handler(ControlError, _on_control_error)
    api.add_exception_handler(HTTPException, _on_routing_error)
    api.add_exception_handler(Exception, _on_unexpected_error)
    api.include_router(zoho_router(state))
    api.include_router(control_router(state))  # last: API requests, the hot path, find their route sooner
    return NetworkConditions(api, state)


def zoho_router(state: SandboxState) -> APIRouter:
    """Zoho's endpoints, each at its table entry's method and path, in the table's (match) order."""
    router = APIRouter()
    groups = (accounts_handlers(state), settings_handlers(state), tag_handlers(state), record_handlers(state))
    for endpoint, handler in in_table_order(*groups):
        router.add_api_route(endpoint.path, handler, methods=[endpoint.method], name=endpoint.name)
    return router
