"""What is sent: the tag requests, the reads, and how their query strings are encoded.

A request here is plain data, without host or token, so that what a run would send can be shown and tested
without sending it. Remove Tags takes its ids and tag names as query parameters only (docs/zoho-facts.md,
section 1); Add Tags takes a JSON body whose shape Bigin does not document: Zoho CRM v3+'s
`{"tags": [{"name": T}], "ids": [...]}` is assumed (section 2, and the README's "Where Zoho's documentation is
silent"). Should Bigin answer that body saying `tag_names` or `ids` are missing, the runner switches to the
query parameters of Bigin's v1 Add Tags (`ADD_TAGS_QUERY`, section 8). One id goes to the single-record
endpoint, as Bigin's pages describe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

API_PREFIX = "/bigin/v2"
# Scopes of the read calls (docs/zoho-facts.md, section 2).
SCOPE_READ_TAGS = "ZohoBigin.settings.tags.READ"
SCOPE_READ_MODULES = "ZohoBigin.settings.modules.READ"
# How Add Tags carries its ids and tags: Zoho CRM v3+'s JSON body (the first choice), or the query parameters
# `ids` and `tag_names` of Bigin's v1 Add Tags (https://www.bigin.com/developer/docs/apis/add-tags-records.html;
# docs/zoho-facts.md, section 8).
ADD_TAGS_JSON = "json_body"
ADD_TAGS_QUERY = "query_parameters"
ADD_TAGS_FORMS = (ADD_TAGS_JSON, ADD_TAGS_QUERY)


@dataclass(frozen=True)
class ApiRequest:
    """A request without host or token; `scope` is the OAuth scope it needs, named when a token lacks it."""

    method: str
    path: str
    scope: str
    query: str | None = None
    json_body: Any = None


def encode_query(params: Mapping[str, str | list[str]]) -> str:
    """A query string whose list values are comma-joined with literal commas, each item percent-encoded.

    requests' own encoding turns spaces into "+" and the separating commas into "%2C"; Zoho's sample sends
    `tag_names=From Email,In progress`, so spaces become "%20" and separators stay commas.
    """
    pieces = []
    for name, value in params.items():
        items = value if isinstance(value, list) else [value]
        pieces.append(f"{quote(name, safe='')}={_encoded_list(items)}")
    return "&".join(pieces)


def _encoded_list(items: list[str]) -> str:
    """Items percent-encoded and comma-joined; 500 record ids, digits only, need no encoding item by item."""
    if (digits := "".join(items)).isascii() and digits.isdigit():
        return ",".join(items)
    return ",".join(quote(item, safe="") for item in items)


def write_scope(module: str) -> str:
    """The narrowest scope that allows tag changes in a module (docs/zoho-facts.md, section 1)."""
    return f"ZohoBigin.modules.{module.lower()}.WRITE"


def tag_request(
    action: str,
    module: str,
    ids: Sequence[str],
    tags: Sequence[str],
    *,
    add_tags_form: str = ADD_TAGS_JSON,
) -> ApiRequest:
    """The request that applies `action` ("remove_tags" or "add_tags") to these ids and tags.

    :param add_tags_form: ADD_TAGS_JSON or ADD_TAGS_QUERY, how Add Tags carries them; Remove Tags has one.
    """
    if add_tags_form not in ADD_TAGS_FORMS:
        raise ValueError(f"add_tags_form must be one of {ADD_TAGS_FORMS}, not {add_tags_form!r}")
    base = f"{API_PREFIX}/{module}/{ids[0]}" if len(ids) == 1 else f"{API_PREFIX}/{module}"
    path = f"{base}/actions/{action}"
    if action == "remove_tags" or add_tags_form == ADD_TAGS_QUERY:
        params: dict[str, str | list[str]] = {"tag_names": list(tags)}
        if len(ids) > 1:
            params = {"ids": list(ids), **params}
        return ApiRequest("POST", path, scope=write_scope(module), query=encode_query(params))
    body: dict[str, object] = {"tags": [{"name": name} for name in tags]}
    if len(ids) > 1:
        body["ids"] = list(ids)
    return ApiRequest("POST", path, scope=write_scope(module), json_body=body)


def read_scope(module: str) -> str:
    """The narrowest scope that allows reading a module's records (docs/zoho-facts.md, section 2)."""
    return f"ZohoBigin.modules.{module.lower()}.READ"


def record_request(module: str, record_id: str) -> ApiRequest:
    """One record by id, `GET /bigin/v2/{module}/{record_id}` (module and id already normalised)."""
    return ApiRequest("GET", f"{API_PREFIX}/{module}/{record_id}", scope=read_scope(module))


def list_tags_request(module: str) -> ApiRequest:
    """The tags of one module (an API name, already resolved)."""
    return ApiRequest(
        "GET", f"{API_PREFIX}/settings/tags", scope=SCOPE_READ_TAGS, query=encode_query({"module": module})
    )


def list_modules_request() -> ApiRequest:
    """The modules the token can see: the cheapest authenticated call, fit for a connection test."""
    return ApiRequest("GET", f"{API_PREFIX}/settings/modules", scope=SCOPE_READ_MODULES)
