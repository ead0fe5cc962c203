"""Reading records: a module's records page by page, and one record by id.

Source: docs/zoho-facts.md, section 2 (``fields`` is required in v2; at most 200 per page; 204 with
an empty body when nothing matches). The sandbox's model: ``per_page`` above 200 is refused (a client that
asks for more finds out at once), and an unknown id on the one-record path is a 400 INVALID_DATA.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from airflow_provider_bigin.sandbox.api import errors as api_errors
from airflow_provider_bigin.sandbox.api.auth import authenticate, module_named, require_scope
from airflow_provider_bigin.sandbox.api.endpoints import Handlers
from airflow_provider_bigin.sandbox.api.params import split_list
from airflow_provider_bigin.sandbox.credits import credits_for
from airflow_provider_bigin.sandbox.ids import is_record_id
from airflow_provider_bigin.sandbox.scopes import scopes_to_read
from airflow_provider_bigin.sandbox.state import SandboxState

MAX_PER_PAGE = 200  # Bigin v2 Get Records: at most 200 records per page


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise api_errors.invalid_data(f"{name} must be a positive integer", {"param_name": name})
    return value


def record_handlers(state: SandboxState) -> Handlers:
    handlers = Handlers()

    @handlers("get_records")
    async def get_records(module: str, request: Request) -> Response:
        access = authenticate(state, request)
        info = module_named(module)
        require_scope(access, scopes_to_read(info.scope_name))
        fields = split_list(request.query_params.get("fields"))
        if not fields:
            raise api_errors.required_param_missing("fields")
        page = _positive_int(request, "page", 1)
        per_page = _positive_int(request, "per_page", MAX_PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise api_errors.invalid_data(
                f"per_page must be at most {MAX_PER_PAGE}",
                {"param_name": "per_page", "maximum": MAX_PER_PAGE},
            )
        records, more = state.store.page(info.api_name, fields, page, per_page)
        state.stats.credits += credits_for("get_records")
        if not records:
            return Response(status_code=204)
        info_block = {"page": page, "per_page": per_page, "count": len(records), "more_records": more}
        return JSONResponse({"data": records, "info": info_block})

    @handlers("get_record")
    async def get_record(module: str, record_id: str, request: Request) -> JSONResponse:
        access = authenticate(state, request)
        info = module_named(module)
        require_scope(access, scopes_to_read(info.scope_name))
        if not is_record_id(record_id) or not state.store.has_record(info.api_name, record_id):
            raise api_errors.invalid_data("the id given seems to be invalid", {"id": record_id})
        state.stats.credits += credits_for("get_record")
        return JSONResponse({"data": [state.store.record_view(info.api_name, record_id)]})

    return handlers
