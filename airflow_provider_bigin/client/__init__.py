"""The core: a plain-Python Bigin client, with no Airflow import anywhere below this folder.

The public face is the names in ``__all__``. They are loaded on first use: the operator module imports small
parts of this package (plans, result codes) while a DAG file is parsed, and must not pay for ``requests`` and
``tenacity`` there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_bigin.client.bigin import BiginClient, ConnectionCheck, RecordRead
    from airflow_provider_bigin.client.plan import TagPlan
    from airflow_provider_bigin.client.results import (
        BatchReport,
        OutcomeSummary,
        RecordResult,
        ResultSink,
        TagOutcome,
    )
    from airflow_provider_bigin.client.retrying import RetryPolicy
    from airflow_provider_bigin.client.settings import ClientSettings
    from airflow_provider_bigin.client.tokens.stores import FileTokenStore, MemoryTokenStore, TokenStore

#: Public name -> the module that defines it.
_HOMES = {
    "BiginClient": "bigin",
    "ConnectionCheck": "bigin",
    "RecordRead": "bigin",
    "ClientSettings": "settings",
    "RetryPolicy": "retrying",
    "TagPlan": "plan",
    "BatchReport": "results",
    "OutcomeSummary": "results",
    "RecordResult": "results",
    "ResultSink": "results",
    "TagOutcome": "results",
    "FileTokenStore": "tokens.stores",
    "MemoryTokenStore": "tokens.stores",
    "TokenStore": "tokens.stores",
}

__all__ = [
    "BatchReport",
    "BiginClient",
    "ClientSettings",
    "ConnectionCheck",
    "FileTokenStore",
    "MemoryTokenStore",
    "OutcomeSummary",
    "RecordRead",
    "RecordResult",
    "ResultSink",
    "RetryPolicy",
    "TagOutcome",
    "TagPlan",
    "TokenStore",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
