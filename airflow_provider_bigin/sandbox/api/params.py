"""Reading what a request carries: comma-separated query lists, form fields, JSON bodies."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from airflow_provider_bigin.sandbox.api import errors as api_errors


def split_list(value: str | None) -> list[str]:
    """The items of a comma-separated parameter, trimmed, empties dropped (``ids=1,2``, ``tag_names=A,B``)."""
    if value is None:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


async def form_fields(request: Request) -> dict[str, str]:
    """Query parameters and url-encoded form fields together (Zoho accepts either); the form wins."""
    fields = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = (await request.body()).decode("utf-8", errors="replace")
        fields.update(parse_qsl(body, keep_blank_values=True))
    return fields


async def json_body(request: Request) -> Any:
    """The JSON body, or None when there is none; a body that is not JSON is a whole-request INVALID_DATA."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise api_errors.invalid_data("the request body is not valid JSON", {"reason": str(error)}) from error


def base_url(request: Request) -> str:
    """The scheme and host the client used, e.g. ``http://127.0.0.1:8790``."""
    return f"{request.url.scheme}://{request.url.netloc}"
