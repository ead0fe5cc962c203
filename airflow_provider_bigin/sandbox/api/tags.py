"""Remove Tags and Add Tags, for many records and for one: the endpoints this provider exists for.

Source: Zoho's Remove Tags page (docs/zoho-facts.md, section 6: query parameters only, ``ids`` and
``tag_names`` comma-separated, one ``data[]`` entry per record) and docs/zoho-facts.md, sections 1 and 2
(Add Tags' JSON body, at most 500 records per call). The sandbox's model where Zoho is unconfirmed:

* ``data[]`` follows the order of the ids sent, one entry per id (a repeated id gets an entry each time).
* An unknown or non-numeric id is a per-record INVALID_DATA entry, never a whole-request error.
* HTTP status: 200 when every entry succeeded, 207 when some did, 400 when none did; ``data[]`` always comes.
* Removing a tag a record lacks succeeds (idempotent); so does adding one it already has.
* Add Tags reads one request shape only, so that tests pin the client's choice: the JSON body
  ``{"tags": [{"name": T}], "ids": [...]}`` (Zoho CRM v3+'s shape, section 2), or, with the fault profile's
  ``add_tags_v1_only``, the query parameters ``tag_names`` and ``ids`` of Bigin's v1 Add Tags (section 8).
  The other shape gets REQUIRED_PARAM_MISSING for the parameter it lacks, as a server that never read it
  would answer. Add Tags accepts the scope ``ZohoBigin.modules.{module}.CREATE`` too (section 5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from airflow_provider_bigin.sandbox.api.params import json_body, split_list
from airflow_provider_bigin.sandbox.credits import credits_for
from airflow_provider_bigin.sandbox.scopes import scopes_to_add_tags, scopes_to_write
from airflow_provider_bigin.sandbox.state import SandboxState
from airflow_provider_bigin.sandbox.store import TagChange, TagsReport

MAX_IDS_PER_CALL = (
    500  # Bigin API limits page: "Add/Remove Tags to Multiple records ... maximum of 500 records"
)
SUCCESS_MESSAGE = "tags updated successfully"  # Zoho's sample reply (docs/zoho-facts.md, section 6)
INVALID_ID_MESSAGE = "the id given seems to be invalid"  # Zoho CRM's wording (docs/zoho-facts.md, section 1)


def record_entry(change: TagChange, report: TagsReport) -> dict[str, Any]:
    """One ``data[]`` entry, shaped like Zoho's sample reply (docs/zoho-facts.md, section 6)."""
    if change.found:
        return {
            "code": "SUCCESS",
            "details": {"id": change.record_id, "tags": change.reported_tags(report)},
            "message": SUCCESS_MESSAGE,
            "status": "success",
        }
    return {
        "code": "INVALID_DATA",
        "details": {"id": change.record_id},
        "message": INVALID_ID_MESSAGE,
        "status": "error",
    }


def multi_status(entries: Sequence[Mapping[str, Any]]) -> int:
    """200 when all succeeded, 400 when none did, 207 (Multi-Status, as Zoho CRM documents) in between."""
    successes = sum(1 for entry in entries if entry.get("status") == "success")
    if successes == len(entries):
        return 200
    return 400 if successes == 0 else 207


def _ids_checked(ids: list[str]) -> list[str]:
    if not ids:
        raise api_errors.required_param_missing("ids")
    if len(ids) > MAX_IDS_PER_CALL:
        raise api_errors.limit_exceeded("ids", MAX_IDS_PER_CALL)
    return ids


def _names_in_body(body: Any) -> list[str] | None:
    """Tag names from ``{"tags": [{"name": "T"}]}``; None when the body has none."""
    if not isinstance(body, Mapping) or body.get("tags") is None:
        return None
    tags = body["tags"]
    if not isinstance(tags, list):
        raise api_errors.invalid_data('tags must be a list of {"name": ...} objects', {"param_name": "tags"})
    names: list[str] = []
    for tag in tags:
        name = tag.get("name") if isinstance(tag, Mapping) else None
        if not isinstance(name, str):
            raise api_errors.invalid_data('every tag must be a {"name": ...} object', {"param_name": "tags"})
        if name.strip():
            names.append(name.strip())
    return names


def _ids_in_body(body: Any) -> list[str] | None:
    if not isinstance(body, Mapping) or body.get("ids") is None:
        return None
    ids = body["ids"]
    if not isinstance(ids, list):
        raise api_errors.invalid_data("ids must be a list of record ids", {"param_name": "ids"})
    return [str(item).strip() for item in ids if str(item).strip()]


def tag_handlers(state: SandboxState) -> Handlers:
    handlers = Handlers()

    def tag_reply(endpoint: str, changes: list[TagChange]) -> JSONResponse:
        entries = [record_entry(change, state.config.tags_report) for change in changes]
        state.stats.credits += credits_for(endpoint, len(changes))
        return JSONResponse({"data": entries}, status_code=multi_status(entries))

    def checked_module(request: Request, module: str, action: str) -> str:
        access = authenticate(state, request)
        info = module_named(module)
        scopes = scopes_to_add_tags if action == "add tags" else scopes_to_write
        require_scope(access, scopes(info.scope_name))
        require_write_permission(access, action)
        return info.api_name

    def tag_names_param(request: Request) -> list[str]:
        names = split_list(request.query_params.get("tag_names"))
        if not names:
            raise api_errors.required_param_missing("tag_names")
        return names

    @handlers("remove_tags")
    async def remove_tags(module: str, request: Request) -> JSONResponse:
        api_name = checked_module(request, module, "remove tags")
        ids = _ids_checked(split_list(request.query_params.get("ids")))
        names = tag_names_param(request)
        return tag_reply("remove_tags", state.store.remove_tags(api_name, ids, names))

    @handlers("remove_tags_one")
    async def remove_tags_one(module: str, record_id: str, request: Request) -> JSONResponse:
        api_name = checked_module(request, module, "remove tags")
        names = tag_names_param(request)
        return tag_reply("remove_tags_one", state.store.remove_tags(api_name, [record_id], names))

    async def to_add(request: Request, *, many: bool) -> tuple[list[str] | None, list[str]]:
        """The ids (None on the single-record endpoint) and tag names, from the one shape accepted."""
        if state.faults.profile.add_tags_v1_only:
            names = split_list(request.query_params.get("tag_names"))
            if not names:
                raise api_errors.required_param_missing("tag_names")
            return (_ids_checked(split_list(request.query_params.get("ids"))) if many else None), names
        body = await json_body(request)
        names = _names_in_body(body) or []
        if not names:
            raise api_errors.required_param_missing("tags")
        return (_ids_checked(_ids_in_body(body) or []) if many else None), names

    @handlers("add_tags")
    async def add_tags(module: str, request: Request) -> JSONResponse:
        api_name = checked_module(request, module, "add tags")
        ids, names = await to_add(request, many=True)
        return tag_reply("add_tags", state.store.add_tags(api_name, ids or [], names))

    @handlers("add_tags_one")
    async def add_tags_one(module: str, record_id: str, request: Request) -> JSONResponse:
        api_name = checked_module(request, module, "add tags")
        _, names = await to_add(request, many=False)
        return tag_reply("add_tags_one", state.store.add_tags(api_name, [record_id], names))

    return handlers
