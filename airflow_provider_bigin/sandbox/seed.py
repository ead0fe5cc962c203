"""The seed: the records, tags and clients a sandbox starts from (and returns to on reset).

A seed is the built-in demo data (``None``), a path to a JSON file, or the same JSON already parsed::

    {
      "base": "empty",                       # or "demo": start from the demo data, then add what follows
      "records": {                            # by module API name; modules left out start empty
        "Contacts": [
          {"id": "2445013000000402006", "First_Name": "Ada", "Email": "ada@example.com",
           "Tag": ["VIP", {"name": "Newsletter"}, {"name": "From Email", "id": "2445013000000900001"}]},
          {"Last_Name": "No id given: the sandbox allocates a 19-digit one"}
        ]
      },
      "tags": {"Contacts": ["Unused tag"]},  # tags that exist in a module without being on any record
      "clients": [                            # added to default/readonly/noperm (the same name replaces)
        {"name": "ci", "client_id": "1000.CI", "client_secret": "s3cret", "refresh_token": "1000.r.t",
         "scope": "ZohoBigin.modules.ALL,ZohoBigin.settings.ALL",
         "write_denial": null}                # or "NO_PERMISSION" / "AUTHORIZATION_FAILED": writes get 403
      ]
    }

Record ids are numeric strings (Zoho's are 19 digits); a ``Tag`` entry is a name or ``{"name"[, "id"]}``.
Any other record field is served back as given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from airflow_provider_bigin.sandbox.clients import DEFAULT_CLIENTS, WRITE_DENIALS, ClientSpec
from airflow_provider_bigin.sandbox.demo_data import demo_records
from airflow_provider_bigin.sandbox.ids import is_record_id
from airflow_provider_bigin.sandbox.modules import MODULES
from airflow_provider_bigin.sandbox.scopes import FULL_ACCESS_SCOPE

SeedSource = Union[None, str, "os.PathLike[str]", Mapping[str, Any]]

_TOP_LEVEL_KEYS = frozenset({"base", "records", "tags", "clients"})


class SeedError(ValueError):
    """A seed that the sandbox cannot serve; the message names the place in the seed to fix."""


@dataclass(frozen=True)
class SeedTag:
    name: str
    tag_id: str | None = None


@dataclass(frozen=True)
class SeedRecord:
    """One record: its fields without ``Tag`` (never mutated by the sandbox), and its tags."""

    record_id: str | None
    fields: Mapping[str, Any]
    tags: tuple[SeedTag, ...]


@dataclass(frozen=True)
class SeedData:
    records: Mapping[str, tuple[SeedRecord, ...]]
    tags: Mapping[str, tuple[SeedTag, ...]]
    clients: tuple[ClientSpec, ...]


def load_seed(source: SeedSource) -> SeedData:
    """Parse and check a seed; every problem is reported before the server starts."""
    if source is None:
        return parse_seed({"base": "demo"}, where="the demo data")
    if isinstance(source, Mapping):
        return parse_seed(source, where="the seed")
    path = Path(source)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"cannot read the seed file {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise SeedError(f"the seed file {path} is not valid JSON: {error}") from error
    if not isinstance(document, Mapping):
        raise SeedError(f"the seed file {path} must hold a JSON object")
    return parse_seed(document, where=str(path))


def parse_seed(document: Mapping[str, Any], *, where: str) -> SeedData:
    unknown = set(document) - _TOP_LEVEL_KEYS
    if unknown:
        raise SeedError(
            f"{where}: unknown keys {sorted(unknown)}; expected some of {sorted(_TOP_LEVEL_KEYS)}"
        )
    base = document.get("base", "empty")
    if base not in ("empty", "demo"):
        raise SeedError(f"{where}: 'base' must be 'empty' or 'demo', not {base!r}")
    raw_records: dict[str, list[Any]] = {module: [] for module in MODULES}
    if base == "demo":
        for module, demo in demo_records().items():
            raw_records[module].extend(demo)
    for module, items in _module_mapping(document.get("records", {}), f"{where}: records").items():
        raw_records[module].extend(items)
    records = {
        module: tuple(
            _record(item, f"{where}: records.{module}[{index}]") for index, item in enumerate(items)
        )
        for module, items in raw_records.items()
    }
    _check_unique_ids(records, where)
    tags = {
        module: tuple(_tag(item, f"{where}: tags.{module}[{index}]") for index, item in enumerate(items))
        for module, items in _module_mapping(document.get("tags", {}), f"{where}: tags").items()
    }
    return SeedData(records=records, tags=tags, clients=_clients(document.get("clients", []), where))


def _module_mapping(value: Any, where: str) -> dict[str, list[Any]]:
    if not isinstance(value, Mapping):
        raise SeedError(f"{where} must be an object keyed by module API name")
    unknown = [name for name in value if name not in MODULES]
    if unknown:
        raise SeedError(f"{where}: unknown modules {unknown}; module API names are {list(MODULES)}")
    result: dict[str, list[Any]] = {}
    for name, items in value.items():
        if not isinstance(items, list):
            raise SeedError(f"{where}.{name} must be a list")
        result[name] = items
    return result


def _record(item: Any, where: str) -> SeedRecord:
    if not isinstance(item, Mapping):
        raise SeedError(f"{where} must be an object")
    record_id = item.get("id")
    if record_id is not None:
        record_id = str(record_id)
        if not is_record_id(record_id):
            raise SeedError(
                f"{where}: id {record_id!r} must be a numeric string such as '2445013000000402006'"
            )
    raw_tags = item.get("Tag") or []
    if not isinstance(raw_tags, list):
        raise SeedError(f"{where}: Tag must be a list of names or {{'name': ...}} objects")
    fields = {key: value for key, value in item.items() if key not in ("id", "Tag")}
    tags = tuple(_tag(tag, f"{where}.Tag[{index}]") for index, tag in enumerate(raw_tags))
    return SeedRecord(record_id=record_id, fields=fields, tags=tags)


def _tag(item: Any, where: str) -> SeedTag:
    if isinstance(item, str):
        name, tag_id = item, None
    elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
        name, tag_id = item["name"], item.get("id")
    else:
        raise SeedError(f"{where} must be a tag name or an object with a 'name'")
    if not name.strip() or "," in name:
        raise SeedError(f"{where}: tag name {name!r} must be non-empty and contain no comma")
    if tag_id is not None and not is_record_id(str(tag_id)):
        raise SeedError(f"{where}: tag id {tag_id!r} must be a numeric string")
    return SeedTag(name=name.strip(), tag_id=None if tag_id is None else str(tag_id))


def _check_unique_ids(records: Mapping[str, tuple[SeedRecord, ...]], where: str) -> None:
    seen: dict[str, str] = {}
    for module, items in records.items():
        for record in items:
            if record.record_id is None:
                continue
            if record.record_id in seen:
                raise SeedError(
                    f"{where}: id {record.record_id} appears twice ({seen[record.record_id]}, {module})"
                )
            seen[record.record_id] = module


def _clients(value: Any, where: str) -> tuple[ClientSpec, ...]:
    if not isinstance(value, list):
        raise SeedError(f"{where}: clients must be a list of client objects")
    by_name = {client.name: client for client in DEFAULT_CLIENTS}
    for index, item in enumerate(value):
        place = f"{where}: clients[{index}]"
        if not isinstance(item, Mapping):
            raise SeedError(f"{place} must be an object")
        missing = [
            key for key in ("name", "client_id", "client_secret", "refresh_token") if not item.get(key)
        ]
        if missing:
            raise SeedError(f"{place} lacks {missing}")
        denial = item.get("write_denial")
        if denial is not None and denial not in WRITE_DENIALS:
            raise SeedError(
                f"{place}: write_denial must be null or one of {list(WRITE_DENIALS)}, not {denial!r}"
            )
        by_name[str(item["name"])] = ClientSpec(
            name=str(item["name"]),
            client_id=str(item["client_id"]),
            client_secret=str(item["client_secret"]),
            refresh_token=str(item["refresh_token"]),
            scope=str(item.get("scope", FULL_ACCESS_SCOPE)),
            write_denial=denial,
        )
    clients = tuple(by_name.values())
    refresh_tokens = [client.refresh_token for client in clients]
    if len(set(refresh_tokens)) != len(refresh_tokens):
        raise SeedError(f"{where}: two clients share a refresh token; each needs its own")
    secrets_by_id: dict[str, str] = {}
    for client in clients:
        if secrets_by_id.setdefault(client.client_id, client.client_secret) != client.client_secret:
            raise SeedError(f"{where}: client id {client.client_id} is given two different secrets")
    return clients
