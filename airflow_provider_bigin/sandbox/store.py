"""Records and tags in memory: what the API reads and changes, and what tests arrange and inspect.

Two behaviours that Zoho has not confirmed are modelled here, each behind one name:

* ``tag_key``: tag names match case-insensitively (after trimming), and a record keeps the tag's first-seen
  spelling. The sample of Zoho's Remove Tags page (docs/zoho-facts.md, section 6) removes "In progress" from
  a record carrying "In Progress", and reports success.
* ``TagChange.reported_tags``: what a per-record SUCCESS lists in ``details.tags``. The default, "before",
  lists the tags the record carried before the call: the only reading that matches both entries of that
  page's sample reply. "after" and "changed" are there so that a client's tests can prove they do not depend
  on it.

Every method runs on the server's event loop thread, so no lock is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from airflow_provider_bigin.sandbox.ids import IdAllocator, is_record_id
from airflow_provider_bigin.sandbox.modules import MODULES
from airflow_provider_bigin.sandbox.seed import SeedData, SeedTag

TagsReport = Literal["before", "after", "changed"]
DEFAULT_TAGS_REPORT: TagsReport = "before"
TAGS_REPORTS: tuple[TagsReport, ...] = ("before", "after", "changed")

# Ids the sandbox allocates at run time (new records, new tags) start above the demo data's range.
_RUNTIME_ID_START = 9_000_000


def tag_key(name: str) -> str:
    """The identity of a tag name within a module: trimmed and case-folded (the sandbox's model)."""
    return name.strip().casefold()


@dataclass
class Tag:
    tag_id: str
    name: str
    created_time: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.tag_id, "name": self.name, "created_time": self.created_time}


@dataclass(frozen=True)
class TagChange:
    """One record's outcome of an add or remove call; ``found`` is False for an unknown or malformed id."""

    record_id: str
    found: bool
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[str, ...]:
        before_keys = {tag_key(name) for name in self.before}
        after_keys = {tag_key(name) for name in self.after}
        removed = [name for name in self.before if tag_key(name) not in after_keys]
        added = [name for name in self.after if tag_key(name) not in before_keys]
        return tuple(removed + added)

    def reported_tags(self, report: TagsReport) -> list[str]:
        """The list a SUCCESS entry carries in ``details.tags`` (see the module docstring)."""
        if report == "before":
            return list(self.before)
        if report == "after":
            return list(self.after)
        return list(self.changed)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class _Module:
    def __init__(self) -> None:
        self.fields: dict[str, Mapping[str, Any]] = {}
        self.record_tags: dict[str, list[str]] = {}  # record id -> tag keys, in the order they were added
        self.tags: dict[str, Tag] = {}  # tag key -> tag


class RecordStore:
    """All modules' records and tag lists, built from a seed."""

    def __init__(self, seed: SeedData) -> None:
        self._modules = {name: _Module() for name in MODULES}
        # Every id in use, records and tags alike: Zoho's ids are unique across an organisation.
        self._used_ids: set[str] = {
            record.record_id for records in seed.records.values() for record in records if record.record_id
        }
        self._ids = IdAllocator(start=_RUNTIME_ID_START, taken=self._used_ids)
        for module, records in seed.records.items():
            for record in records:
                record_id = record.record_id or self._new_id()
                data = self._modules[module]
                data.fields[record_id] = record.fields
                data.record_tags[record_id] = self._keys_for(module, record.tags)
        for module, module_tags in seed.tags.items():
            self._keys_for(module, module_tags)

    def _new_id(self) -> str:
        new_id = self._ids.allocate()
        self._used_ids.add(new_id)
        return new_id

    def _keys_for(self, module: str, tags: Iterable[SeedTag | str]) -> list[str]:
        """The keys of these tags, each created in the module's list when new, without duplicates."""
        keys: dict[str, None] = {}
        for tag in tags:
            name, tag_id = (tag, None) if isinstance(tag, str) else (tag.name, tag.tag_id)
            keys[tag_key(self._ensure_tag(module, name, tag_id).name)] = None
        return list(keys)

    def _ensure_tag(self, module: str, name: str, tag_id: str | None = None) -> Tag:
        tags = self._modules[module].tags
        key = tag_key(name)
        if key not in tags:
            if tag_id is None or tag_id in self._used_ids:
                tag_id = self._new_id()
            self._used_ids.add(tag_id)
            tags[key] = Tag(tag_id=tag_id, name=name.strip(), created_time=_now())
        return tags[key]

    # Reads ---------------------------------------------------------------------------------------------

    def record_ids(self, module: str) -> list[str]:
        return list(self._modules[module].fields)

    def has_record(self, module: str, record_id: str) -> bool:
        return record_id in self._modules[module].fields

    def tag_names(self, module: str, record_id: str) -> list[str]:
        data = self._modules[module]
        return [data.tags[key].name for key in data.record_tags[record_id]]

    def record_view(self, module: str, record_id: str, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """The record as GET shows it: ``id`` first, the fields asked (all when None), ``Tag`` as objects."""
        data = self._modules[module]
        stored = data.fields[record_id]
        view: dict[str, Any] = {"id": record_id}
        wanted = [*stored, "Tag"] if fields is None else fields
        for name in wanted:
            if name == "Tag":
                view["Tag"] = [
                    {"name": data.tags[key].name, "id": data.tags[key].tag_id}
                    for key in data.record_tags[record_id]
                ]
            elif name in stored:
                view[name] = stored[name]
            elif name != "id":
                view[name] = None
        return view

    def page(
        self, module: str, fields: Sequence[str], page: int, per_page: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of records (1-based) and whether more pages follow."""
        ids = self.record_ids(module)
        start = (page - 1) * per_page
        chosen = ids[start : start + per_page]
        return [self.record_view(module, record_id, fields) for record_id in chosen], start + per_page < len(
            ids
        )

    def list_tags(self, module: str) -> list[Tag]:
        return list(self._modules[module].tags.values())

    # Changes -------------------------------------------------------------------------------------------

    def remove_tags(self, module: str, record_ids: Sequence[str], names: Sequence[str]) -> list[TagChange]:
        """Take the named tags off each record; a tag the record lacks is no error (idempotent)."""
        keys = {tag_key(name) for name in names}

        def without_tags(current: list[str]) -> list[str]:
            return [key for key in current if key not in keys]

        return [self._change(module, record_id, without_tags) for record_id in record_ids]

    def add_tags(self, module: str, record_ids: Sequence[str], names: Sequence[str]) -> list[TagChange]:
        """Put the named tags on each record, creating them in the module's tag list when new."""
        if not any(self._is_known(module, record_id) for record_id in record_ids):
            return [TagChange(record_id, found=False) for record_id in record_ids]
        keys = self._keys_for(module, names)

        def with_tags(current: list[str]) -> list[str]:
            return current + [key for key in keys if key not in current]

        return [self._change(module, record_id, with_tags) for record_id in record_ids]

    def _is_known(self, module: str, record_id: str) -> bool:
        return is_record_id(record_id) and self.has_record(module, record_id)

    def _change(self, module: str, record_id: str, update: Callable[[list[str]], list[str]]) -> TagChange:
        if not self._is_known(module, record_id):
            return TagChange(record_id, found=False)
        data = self._modules[module]
        before = tuple(self.tag_names(module, record_id))
        data.record_tags[record_id] = update(data.record_tags[record_id])
        return TagChange(record_id, found=True, before=before, after=tuple(self.tag_names(module, record_id)))

    def create_tag(self, module: str, name: str) -> tuple[Tag, bool]:
        """The module's tag of that name, and whether this call created it."""
        existing = self._modules[module].tags.get(tag_key(name))
        if existing is not None:
            return existing, False
        return self._ensure_tag(module, name), True

    def add_records(self, module: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Add records (test arrangement); ids are allocated when absent. Returns the ids in order."""
        added: list[str] = []
        data = self._modules[module]
        for record in records:
            if record.get("id") is None:
                record_id = self._new_id()
            else:
                record_id = str(record["id"])
                if not is_record_id(record_id):
                    raise ValueError(f"record id {record_id!r} must be a numeric string")
                if record_id in self._used_ids and record_id not in data.fields:
                    raise ValueError(
                        f"id {record_id} is already in use (by a tag or another module's record)"
                    )
                self._used_ids.add(record_id)
            data.fields[record_id] = {key: value for key, value in record.items() if key not in ("id", "Tag")}
            names = [tag if isinstance(tag, str) else str(tag["name"]) for tag in record.get("Tag") or []]
            data.record_tags[record_id] = self._keys_for(module, names)
            added.append(record_id)
        return added

    def set_tags(self, module: str, record_id: str, names: Sequence[str]) -> None:
        """Replace a record's tags (test arrangement)."""
        if not self.has_record(module, record_id):
            raise KeyError(record_id)
        self._modules[module].record_tags[record_id] = self._keys_for(module, names)
