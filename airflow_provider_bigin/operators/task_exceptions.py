"""The Airflow exceptions a tag operator raises, from wherever this Airflow line defines them.

The Task SDK defines them from Airflow 3.2; on 3.1 they live in ``airflow.exceptions`` (which 3.2+ still
re-exports, with a deprecation warning). Importing the SDK's first keeps 3.2+ quiet and 3.1 working.
"""

from __future__ import annotations

try:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[no-redef,attr-defined,unused-ignore]
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
    )

__all__ = ["AirflowException", "AirflowFailException", "AirflowSkipException"]
