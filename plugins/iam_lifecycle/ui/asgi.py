"""Where the page is mounted, and the app the plugin gives Airflow: loaded on the page's first request.

The plugin module is imported by every Airflow component (scheduler, workers, the DAG processor), which never
serve the page: they must not pay for FastAPI, the store or the run records, so :data:`page_app` imports
``iam_lifecycle.ui.app`` only when the API server passes it a request.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

URL_PREFIX = "/iam-lifecycle"
NAME = "IAM lifecycle"


class LazyApp:
    """An ASGI app that imports ``module:attribute`` on its first call and hands every call to it."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._app: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._app is None:
                module, _, attribute = self.target.partition(":")
                self._app = getattr(importlib.import_module(module), attribute)
        return self._app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await (self._app or self.load())(scope, receive, send)

    def __repr__(self) -> str:  # Airflow lists a plugin's apps by their text (``airflow plugins``, /api/v2/plugins)
        return f"{self.target} (loaded on first request)"


page_app = LazyApp("iam_lifecycle.ui.app:app")
