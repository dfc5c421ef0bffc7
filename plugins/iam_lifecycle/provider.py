"""What Airflow's providers manager learns of this distribution (entry point ``apache_airflow_provider``).

Kept free of Airflow imports: the providers manager calls :func:`get_provider_info` while it discovers providers.
"""

from __future__ import annotations

from typing import Any

from iam_lifecycle import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "iam-lifecycle",
        "name": "IAM lifecycle",
        "description": "AWS IAM user lifecycle on Apache Airflow 3: offboarding, stale-user reconciliation, "
        "provisioning, with human approval.",
        "versions": [__version__],
        "extra-links": ["iam_lifecycle.operators.links.IamUserConsoleLink"],
        "plugins": [{"name": "iam_lifecycle", "plugin-class": "iam_lifecycle.plugin.IamLifecyclePlugin"}],
    }
