"""The shape of the add-tags and remove-tags requests, in one place because part of it is unconfirmed.

Remove Tags takes its ids and tag names as query parameters only (the seed); Add Tags takes a JSON body whose
shape Bigin does not document: Zoho CRM v3+'s `{"tags": [{"name": T}], "ids": [...]}` is assumed
(reference/bigin-api.md, 2). One id goes to the single-record endpoint, as Bigin's pages describe.
"""

from __future__ import annotations

from collections.abc import Sequence

from airflow_provider_bigin.transport import API_PREFIX, ApiRequest, encode_query


def write_scope(module: str) -> str:
    """The narrowest scope that allows tag changes in a module (the seed's scope list)."""
    return f"ZohoBigin.modules.{module.lower()}.WRITE"


def tag_request(action: str, module: str, ids: Sequence[str], tags: Sequence[str]) -> ApiRequest:
    """The request that applies `action` ("remove_tags" or "add_tags") to these ids and tags."""
    base = f"{API_PREFIX}/{module}/{ids[0]}" if len(ids) == 1 else f"{API_PREFIX}/{module}"
    path = f"{base}/actions/{action}"
    if action == "remove_tags":
        params: dict[str, str | list[str]] = {"tag_names": list(tags)}
        if len(ids) > 1:
            params = {"ids": list(ids), **params}
        return ApiRequest("POST", path, scope=write_scope(module), query=encode_query(params))
    body: dict[str, object] = {"tags": [{"name": name} for name in tags]}
    if len(ids) > 1:
        body["ids"] = list(ids)
    return ApiRequest("POST", path, scope=write_scope(module), json_body=body)
