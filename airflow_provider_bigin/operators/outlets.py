"""What a tag run tells Airflow's assets: its figures on its module's ``bigin://`` outlets and aliases.

Airflow records an event on every Asset among a task's outlets when it succeeds, whatever the task did. An
outlet naming another module or host than the one the task changes would tell a DAG scheduled on it of a
change that never happened, so it fails the task before any call; a task mapped over several modules names
an AssetAlias instead, and each task instance adds the asset of the module it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow.sdk import Asset, AssetAlias

from airflow_provider_bigin.errors import InvalidInputError
from airflow_provider_bigin.lineage.uris import SCHEME, ModuleRef, parse_uri

#: The summary's keys that an asset event's extra (and the OpenLineage facet) carries.
EXTRA_KEYS = ("action", "module", "tags", "requested", "succeeded", "failed", "dry_run")


def event_extra(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The run's figures, as a DAG scheduled on the asset reads them from the event's extra."""
    return {key: summary[key] for key in EXTRA_KEYS}


def bigin_outlets(outlets: Iterable[object]) -> list[Asset]:
    return [item for item in outlets if isinstance(item, Asset) and item.uri.startswith(f"{SCHEME}://")]


def takes_events(outlets: Iterable[object]) -> bool:
    """Whether any outlet wants this run's figures: a ``bigin://`` asset or an alias."""
    items = list(outlets)
    return bool(bigin_outlets(items)) or any(isinstance(item, AssetAlias) for item in items)


def check_outlets(outlets: Iterable[object], ref: ModuleRef) -> None:
    """Refuse a ``bigin://`` outlet that names another module or host than this run's."""
    for asset in bigin_outlets(outlets):
        if parse_uri(asset.uri) != ref:
            raise InvalidInputError(
                f"outlet {asset.uri} is not what this task changes ({ref.uri}): Airflow would record a "
                "change on it that did not happen. Name this task's own module, or, for a task mapped "
                "over several modules, put bigin_asset_alias(...) in outlets instead."
            )


def record_outlet_events(
    outlet_events: Any, outlets: Iterable[object], ref: ModuleRef, extra: Mapping[str, Any]
) -> None:
    """The extra on each of the run's own ``bigin://`` outlets; the asset with the extra on each alias.

    An alias gets nothing from a dry run or a run without records: nothing changed.
    """
    items = list(outlets)
    for asset in bigin_outlets(items):
        if parse_uri(asset.uri) == ref:
            outlet_events[asset].extra.update(extra)
    if extra["dry_run"] or not extra["requested"]:
        return
    for alias in (item for item in items if isinstance(item, AssetAlias)):
        outlet_events[alias].add(Asset(name=ref.uri, uri=ref.uri), extra=dict(extra))
