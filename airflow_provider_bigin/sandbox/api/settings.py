"""Settings endpoints: a module's tags (list, create) and the module list.

Source: docs/zoho-facts.md, section 2. Reply shapes follow Zoho CRM's settings API (a top-level
``tags`` or ``modules`` list): the sandbox's model, since Bigin publishes no sample for them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from airflow_provider_bigin.sandbox.api import errors as api_errors
from airflow_provider_bigin.sandbox.api.auth import (
    authenticate,
    module_named,
    require_scope,
    require_write_permission,
)
from airflow_provider_bigin.sandbox.api.endpoints import Handlers
from airflow_provider_bigin.sandbox.api.params import json_body
from airflow_provider_bigin.sandbox.api.tags import multi_status
from airflow_provider_bigin.sandbox.credits import credits_for
from airflow_provider_bigin.sandbox.modules import MODULES
from airflow_provider_bigin.sandbox.scopes import (
    SCOPES_TO_CREATE_TAGS,
    SCOPES_TO_READ_MODULES,
    SCOPES_TO_READ_TAGS,
)
from airflow_provider_bigin.sandbox.state import SandboxState


def _tag_creation_entry(state: SandboxState, module: str, raw: Any) -> dict[str, Any]:
    name = raw.get("name") if isinstance(raw, dict) else raw
    if not isinstance(name, str) or not name.strip() or "," in name:
        return {
            "code": "INVALID_DATA",
            "details": {"api_name": "name"},
            "message": "a tag name must be non-empty text without commas",
            "status": "error",
        }
    tag, created = state.store.create_tag(module, name)
    if not created:
        return {
            "code": "DUPLICATE_DATA",
            "details": {"id": tag.tag_id},
            "message": "duplicate data",
            "status": "error",
        }
    return {
        "code": "SUCCESS",
        "details": {"id": tag.tag_id, "name": tag.name, "created_time": tag.created_time},
        "message": "tags created successfully",
        "status": "success",
    }


def settings_handlers(state: SandboxState) -> Handlers:
    handlers = Handlers()

    def module_param(request: Request) -> str:
        name = request.query_params.get("module")
        if not name:
            raise api_errors.required_param_missing("module")
        return module_named(name).api_name

    @handlers("get_tags")
    async def get_tags(request: Request) -> JSONResponse:
        access = authenticate(state, request)
        module = module_param(request)
        require_scope(access, SCOPES_TO_READ_TAGS)
        tags = [tag.as_json() for tag in state.store.list_tags(module)]
        state.stats.credits += credits_for("get_tags")
        return JSONResponse({"tags": tags, "info": {"count": len(tags)}})

    @handlers("create_tags")
    async def create_tags(request: Request) -> JSONResponse:
        access = authenticate(state, request)
        module = module_param(request)
        require_scope(access, SCOPES_TO_CREATE_TAGS)
        require_write_permission(access, "create tags")
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("tags"), list) or not body["tags"]:
            raise api_errors.required_param_missing("tags")
        entries = [_tag_creation_entry(state, module, raw) for raw in body["tags"]]
        state.stats.credits += credits_for("create_tags")
        return JSONResponse({"tags": entries}, status_code=multi_status(entries))

    @handlers("modules")
    async def modules(request: Request) -> JSONResponse:
        access = authenticate(state, request)
        require_scope(access, SCOPES_TO_READ_MODULES)
        state.stats.credits += credits_for("modules")
        return JSONResponse(
            {
                "modules": [
                    {
                        "id": info.module_id,
                        "api_name": info.api_name,
                        "module_name": info.api_name,
                        "singular_label": info.singular_label,
                        "plural_label": info.plural_label,
                        "api_supported": True,
                    }
                    for info in MODULES.values()
                ]
            }
        )

    return handlers
