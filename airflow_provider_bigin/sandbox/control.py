"""Control endpoints under ``/__sandbox__/``: what tests use to arrange state, turn knobs and read counters.

They never count in the stats and never meet latency or faults, so the Python API behaves the same whether
the server runs in a thread or in another process. Errors are ``{"error": "..."}`` with HTTP 400 or 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from airflow_provider_bigin.sandbox.config import CONTROL_PREFIX
from airflow_provider_bigin.sandbox.faults import fault_profile
from airflow_provider_bigin.sandbox.modules import MODULES
from airflow_provider_bigin.sandbox.state import SandboxState


class ControlError(Exception):
    """A control request the sandbox cannot honour; its message goes back to the test that sent it."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message


async def _body(request: Request) -> Mapping[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = await request.json()
    except ValueError as error:
        raise ControlError(400, f"the body is not valid JSON: {error}") from error
    if not isinstance(body, Mapping):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _module(name: str) -> str:
    if name not in MODULES:
        raise ControlError(404, f"unknown module {name!r}; module API names are {list(MODULES)}")
    return name


def _checked(action: Any, *args: Any) -> Any:
    try:
        return action(*args)
    except (ValueError, TypeError) as error:
        raise ControlError(400, str(error)) from error


def control_router(state: SandboxState) -> APIRouter:
    router = APIRouter(prefix=CONTROL_PREFIX)
    _add_state_routes(router, state)
    _add_knob_routes(router, state)
    return router


def _add_state_routes(router: APIRouter, state: SandboxState) -> None:
    """Counters, reset, clients, and records and tags to arrange or inspect."""

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return state.stats.snapshot()

    @router.post("/stats/reset")
    async def reset_stats() -> dict[str, Any]:
        state.stats.reset()
        return state.stats.snapshot()

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @router.get("/clients")
    async def clients() -> dict[str, Any]:
        return {
            name: {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "refresh_token": client.refresh_token,
                "scope": client.scope,
                "write_denial": client.write_denial,
            }
            for name, client in state.clients.items()
        }

    @router.get("/records/{module}")
    async def records(module: str) -> dict[str, Any]:
        api_name = _module(module)
        return {
            record_id: state.store.record_view(api_name, record_id)
            for record_id in state.store.record_ids(api_name)
        }

    @router.post("/records/{module}")
    async def add_records(module: str, request: Request) -> dict[str, Any]:
        api_name = _module(module)
        body = await _body(request)
        items = body.get("records")
        if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
            raise ControlError(400, 'send {"records": [{...}, ...]}')
        return {"ids": _checked(state.store.add_records, api_name, items)}

    @router.get("/records/{module}/{record_id}/tags")
    async def tags(module: str, record_id: str) -> dict[str, Any]:
        api_name = _module(module)
        if not state.store.has_record(api_name, record_id):
            raise ControlError(404, f"no {api_name} record {record_id}")
        return {"tags": state.store.tag_names(api_name, record_id)}

    @router.put("/records/{module}/{record_id}/tags")
    async def set_tags(module: str, record_id: str, request: Request) -> dict[str, Any]:
        api_name = _module(module)
        names = (await _body(request)).get("tags")
        if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
            raise ControlError(400, 'send {"tags": ["name", ...]}')
        if not state.store.has_record(api_name, record_id):
            raise ControlError(404, f"no {api_name} record {record_id}")
        state.store.set_tags(api_name, record_id, names)
        return {"tags": state.store.tag_names(api_name, record_id)}


def _add_knob_routes(router: APIRouter, state: SandboxState) -> None:
    """Faults, latency, the concurrency cap, tokens, lock-outs, grant codes and the clock."""

    @router.put("/faults")
    async def faults(request: Request) -> dict[str, Any]:
        body = await _body(request)
        profile = _checked(fault_profile, body.get("profile"))
        seed = _checked(int, body.get("seed", 0))
        state.set_faults(profile, seed)
        return {"profile": profile.as_json(), "seed": seed}

    @router.put("/latency")
    async def latency(request: Request) -> dict[str, Any]:
        body = await _body(request)
        jitter = body.get("jitter_ms")
        _checked(
            state.set_latency, float(body.get("latency_ms", 0.0)), None if jitter is None else float(jitter)
        )
        return {"latency_ms": state.latency_ms, "jitter_ms": state.jitter_ms}

    @router.put("/concurrency")
    async def concurrency(request: Request) -> dict[str, Any]:
        cap = (await _body(request)).get("max_concurrency")
        _checked(state.set_max_concurrency, None if cap is None else _checked(int, cap))
        return {"max_concurrency": state.max_concurrency}

    @router.post("/tokens/expire")
    async def expire_tokens() -> dict[str, int]:
        return {"expired": state.accounts.expire_access_tokens()}

    @router.post("/lockout")
    async def lockout(request: Request) -> dict[str, int]:
        body = await _body(request)
        seconds = body.get("seconds")
        locked = state.accounts.force_lockout(
            body.get("refresh_token"), None if seconds is None else float(seconds)
        )
        if body.get("refresh_token") is not None and locked == 0:
            raise ControlError(404, "no such refresh token")
        return {"locked": locked}

    @router.post("/grant-code")
    async def grant_code(request: Request) -> dict[str, str]:
        body = await _body(request)
        name = str(body.get("client", "default"))
        if name not in state.clients:
            raise ControlError(404, f"unknown client {name!r}; clients are {list(state.clients)}")
        scope = body.get("scope")
        return {
            "code": state.accounts.issue_grant_code(
                state.clients[name], None if scope is None else str(scope)
            )
        }

    @router.post("/clock/advance")
    async def advance_clock(request: Request) -> dict[str, float]:
        seconds = _checked(float, (await _body(request)).get("seconds"))
        if seconds < 0:
            raise ControlError(400, "the clock only moves forward")
        state.clock.advance(seconds)
        return {"offset": state.clock.offset}
