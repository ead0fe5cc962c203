"""Where the Airflow lines this provider supports differ, in one place.

The Task SDK defines the exceptions a task raises from Airflow 3.2; on 3.1 they live in ``airflow.exceptions``
(which 3.2+ still re-exports, with a deprecation warning). Importing the SDK's first keeps 3.2+ quiet and 3.1
working.
"""

from __future__ import annotations

try:
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[no-redef,attr-defined,unused-ignore]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSkipException,
    )

__all__ = ["AirflowException", "AirflowFailException", "AirflowNotFoundException", "AirflowSkipException"]
