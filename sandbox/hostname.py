"""The hostname Airflow records for a task instance: the worker's name, so tests can tell two local workers apart.

Set as ``[core] hostname_callable`` on the distributed test stack, whose Celery workers share one machine.
"""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """``SANDBOX_WORKER_NAME`` when set, else the machine's fully qualified name (Airflow's default)."""
    return os.environ.get("SANDBOX_WORKER_NAME") or socket.getfqdn()
