"""The snapshot store as the page reads it: an index of every snapshot and report, each file read once.

Snapshots and reports are written once and never rewritten (each attempt writes a new file), so a file's summary
is cached by its URI for the life of the API server; each request lists the store (one recursive listing: a
few S3 list calls for thousands of files) and reads only files it has not seen.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from iam_lifecycle import snapshots
from iam_lifecycle.identity_center.snapshot import is_identity_center_snapshot

REPORTS_FOLDER = "reports"


def store_root() -> Any:
    """The store's root, where the tasks write (Variable ``iam_lifecycle_snapshot_uri``, read as the API server)."""
    # The API server reads the metadata DB itself; the Task SDK's Variable would look only at the environment here.
    from airflow.models import Variable

    uri = (
        Variable.get(  # noqa: AIR311
            snapshots.SNAPSHOT_URI_VARIABLE, default_var=None
        )
        or snapshots.default_snapshot_uri()
    )
    return snapshots.storage_root(uri)


def snapshot_summary(uri: str, document: dict[str, Any]) -> dict[str, Any]:
    """What the history needs of a snapshot (or, with ``addendum_to``, an addendum)."""
    user = document.get("user") or {}
    return {
        "uri": uri,
        "run_id": document.get("run_id", ""),
        "user_name": user.get("UserName", ""),
        "user_id": user.get("UserId", ""),
        "account": snapshots.account_of(user["Arn"]) if user.get("Arn", "").count(":") >= 5 else "",
        "taken_at": document.get("taken_at", ""),
        "requested_by": document.get("requested_by"),
        "approved_by": document.get("approved_by"),
        "reason": document.get("reason") or "",
        "addendum_to": document.get("addendum_to"),
        # An Identity Center user's snapshot is restored through its own param of iam_user_provisioning.
        "restore_param": "identity_center_snapshot" if is_identity_center_snapshot(document) else "snapshot",
    }


def report_summary(uri: str, report: dict[str, Any]) -> dict[str, Any]:
    """What the history and the chart need of a reconciliation report."""
    unused = report.get("unused_credentials") or {}
    # A user with two revocable credentials is one revoke of that user.
    acted = [
        (e["user_name"], e.get("action", "none")) for e in [*report.get("stale", []), *unused.get("revocable", [])]
    ]
    actions = [list(pair) for pair in dict.fromkeys(acted)]
    return {
        "uri": uri,
        "run_id": report.get("run_id", ""),
        "account": report.get("account", ""),
        "account_name": report.get("account_name"),
        "generated_at": report.get("generated_at", ""),
        "mode": report.get("mode", ""),
        "requested_by": report.get("requested_by"),
        "stale": len(report.get("stale", [])),
        "unused_credentials": sum(len(entry.get("credentials") or []) for entry in unused.get("revocable", [])),
        "actions": actions,
    }


class StoreIndex:
    """Summaries of the store's files, by URI; thread-safe (the API server answers requests in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._summaries: dict[str, dict[str, Any]] = {}

    def refresh(self, root: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(snapshot summaries, report summaries) of every file now under ``root``; addenda left out."""
        root_uri = snapshots.uri_of(root).rstrip("/")
        protocol = root_uri.split("://", 1)[0]
        found = root.fs.find(root.path) if root.exists() else []
        uris = [f"{protocol}://{path}" if "://" not in path else path for path in found if path.endswith(".json")]
        if protocol == "file":
            uris = [uri.replace("file:////", "file:///") for uri in uris]
        with self._lock:
            new = [uri for uri in uris if uri not in self._summaries]
        read = {}
        for uri in new:
            try:
                document = json.loads(snapshots.storage_root(uri).read_text())
            except (OSError, ValueError):
                continue  # being written, or not ours: seen again on the next request
            if not isinstance(document, dict):
                continue
            is_report = uri[len(root_uri) :].lstrip("/").startswith(REPORTS_FOLDER + "/")
            read[uri] = (
                ("report", report_summary(uri, document))
                if is_report
                else ("snapshot", snapshot_summary(uri, document))
            )
        with self._lock:
            self._summaries.update(read)
            present = [self._summaries[uri] for uri in uris if uri in self._summaries]
        snaps = sorted((s for kind, s in present if kind == "snapshot" and not s["addendum_to"]), key=_taken)
        reports = sorted((s for kind, s in present if kind == "report"), key=lambda r: r["generated_at"])
        return snaps, reports

    def summary(self, uri: str) -> tuple[str, dict[str, Any]] | None:
        """("snapshot" or "report", its summary) of a file seen by :meth:`refresh`, or None."""
        with self._lock:
            return self._summaries.get(uri)


def _taken(summary: dict[str, Any]) -> str:
    return summary["taken_at"]


def read_document(uri: str) -> dict[str, Any]:
    """A snapshot's or report's whole document."""
    return json.loads(snapshots.storage_root(uri).read_text())


INDEX = StoreIndex()
