"""The Airflow plugin of the iam-lifecycle distribution (entry point ``airflow.plugins``): the operator extra links.

Plugins can no longer register operators or hooks; the operators are imported from ``iam_lifecycle.operators``.
A deployment that copies ``plugins/`` instead of installing the wheel gets the same plugin (same name: Airflow
registers it once) from ``plugins/iam_lifecycle_plugin.py``.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from iam_lifecycle.operators.links import IamUserConsoleLink


class IamLifecyclePlugin(AirflowPlugin):
    name = "iam_lifecycle"
    operator_extra_links = [IamUserConsoleLink()]
