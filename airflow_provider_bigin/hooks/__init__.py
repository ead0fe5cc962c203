"""The Airflow side: BiginHook (``hooks.bigin``) and the Variable token store that the hook hands over."""

from __future__ import annotations

from airflow_provider_bigin.hooks.variable_store import VariableTokenStore

__all__ = ["VariableTokenStore"]
