"""The host name each Celery worker reports for its task instances, as if each were a machine of its own.

Airflow records ``[core] hostname_callable``'s answer on every task instance; all workers here share one
machine, so each worker's environment names its host in ``BIGIN_TEST_HOSTNAME`` and points
``AIRFLOW__CORE__HOSTNAME_CALLABLE`` at ``worker_hostname``: the test can then tell which worker ran what.
"""

from __future__ import annotations

import os
import socket

HOSTNAME_VARIABLE = "BIGIN_TEST_HOSTNAME"


def worker_hostname() -> str:
    """The worker's host name from the environment; the machine's own where none is set."""
    return os.environ.get(HOSTNAME_VARIABLE) or socket.getfqdn()
