"""The Airflow plugin of the iam-lifecycle distribution (entry point ``airflow.plugins``): the operator extra links,
the IAM lifecycle page (a FastAPI app at ``/iam-lifecycle`` of the API server, in the UI's navigation), and the
listener that writes each lifecycle run's note (:mod:`iam_lifecycle.ui.run_notes`).

Plugins can no longer register operators or hooks; the operators are imported from ``iam_lifecycle.operators``.
A deployment that copies ``plugins/`` instead of installing the wheel gets the same plugin (same name: Airflow
registers it once) from ``plugins/iam_lifecycle_plugin.py``. Every Airflow component imports this module: the
page's app is loaded only when the API server serves it (:mod:`iam_lifecycle.ui.asgi`).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from iam_lifecycle.operators.links import IamUserConsoleLink
from iam_lifecycle.ui import run_notes
from iam_lifecycle.ui.asgi import NAME, URL_PREFIX, page_app


class IamLifecyclePlugin(AirflowPlugin):
    name = "iam_lifecycle"
    operator_extra_links = [IamUserConsoleLink()]
    # Airflow does not authenticate plugin apps: every route of the page asks Airflow's auth manager itself.
    fastapi_apps = [{"app": page_app, "url_prefix": URL_PREFIX, "name": NAME}]
    # In the navigation; the UI shows the page in its own frame at /plugin/iam-lifecycle.
    # Each lifecycle run's note names its user and how it ended, on Airflow's own run pages.
    listeners = [run_notes]
    external_views = [
        {"name": NAME, "href": f"{URL_PREFIX}/", "destination": "nav", "url_route": URL_PREFIX.strip("/")}
    ]
