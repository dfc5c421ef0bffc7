"""Registers the project's operator extra links with Airflow (plugins can no longer register operators)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from iam_lifecycle.links import IamUserConsoleLink


class IamLifecyclePlugin(AirflowPlugin):
    name = "iam_lifecycle"
    operator_extra_links = [IamUserConsoleLink()]
