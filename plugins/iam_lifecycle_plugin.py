"""
For a deployment that copies ``plugins/`` instead of installing the wheel: the distribution's plugin
(:class:`iam_lifecycle.plugin.IamLifecyclePlugin`, the operator extra links). With the wheel installed, Airflow
registers it from the entry point ``airflow.plugins``, and this file defines nothing: a second registration of the
same name would be reported as an import error.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

try:
    distribution("iam-lifecycle")
except PackageNotFoundError:
    from iam_lifecycle.plugin import IamLifecyclePlugin  # noqa: F401
