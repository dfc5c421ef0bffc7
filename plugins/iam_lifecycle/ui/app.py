"""The IAM lifecycle page: a FastAPI app that Airflow's API server mounts at ``/iam-lifecycle``.

- ``/`` — the history (``?user=``, ``?account=``, ``?page=``); ``/history.json`` the same as JSON.
- ``/snapshot?uri=`` — one snapshot of the store, readable, with its Restore button.
- ``POST /restore`` — ``{"snapshot": uri}``: triggers ``iam_user_provisioning`` with it, as the signed-in user.
- ``/reports`` — the reconciliation's reports per account, and their counts over time.

Every route asks Airflow's authorization first (:mod:`iam_lifecycle.ui.auth`).
"""

from __future__ import annotations

import datetime
import inspect
import re
from dataclasses import asdict
from typing import Annotated, Any

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import FastAPI, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from iam_lifecycle.ui import history, records, render, reports_view, store
from iam_lifecycle.ui.asgi import URL_PREFIX
from iam_lifecycle.ui.auth import RESTORER, ReaderDep, may_restore

PAGE_SIZE = 50
#: What Airflow accepts in a run id ([scheduler] allowed_run_id_pattern's default, and never "..").
_NOT_IN_RUN_ID = re.compile(r"[^A-Za-z0-9_.~:+-]")

app = FastAPI(title="IAM lifecycle", docs_url=None, redoc_url=None, openapi_url=None)


def _roots(request: Request) -> tuple[str, str]:
    """(the page's root, Airflow's root) as paths, for links that work behind a base URL's path too."""
    base = request.scope.get("root_path", "").rstrip("/")
    server = base[: -len(URL_PREFIX)] if base.endswith(URL_PREFIX) else ""
    return base or URL_PREFIX, server


def _history(session: Any, reader: Any, user: str, account: str, page: int) -> tuple[list, int, int]:
    snapshots, reports = store.INDEX.refresh(store.store_root())
    runs = records.lifecycle_runs(session, reader.dag_ids)
    found = history.matching(history.build_entries(runs, snapshots, reports), user, account)
    shown, pages = history.page_of(found, page, PAGE_SIZE)
    run_ids = {entry.run_id for entry in shown}
    confs = {run.run_id: run.conf for run in runs if run.run_id in run_ids}
    failed = [e for e in shown if e.dag_id == history.OFFBOARDING and e.run_state == "failed" and e.snapshot]
    completed = history.with_outcomes(
        shown,
        confs,
        records.approval_answers(session, run_ids),
        records.task_states(session, run_ids),
        _still_held(session, failed),
    )
    return completed, pages, len(found)


def _still_held(session: Any, failed: list[history.Entry]) -> dict[str, dict[str, list[str]]]:
    """For each failed offboarding shown: what its user still holds, from its snapshot and its removals' results."""
    from iam_lifecycle.snapshots import items_of

    results = records.task_results(session, {e.run_id for e in failed}, history.REMOVING_TASKS)
    held = {}
    for entry in failed:
        try:
            recorded = items_of(store.read_document(entry.snapshot))
        except (OSError, ValueError, KeyError):
            continue  # unreadable: the entry says only that it failed
        held[entry.run_id] = history.still_held(recorded, results.get(entry.run_id, []))
    return held


@app.get("/", response_class=HTMLResponse)
def history_page(
    request: Request,
    reader: ReaderDep,
    session: SessionDep,
    user: Annotated[str, Query(max_length=64)] = "",
    account: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> str:
    entries, pages, total = _history(session, reader, user, account, page)
    base, server = _roots(request)
    body = render.history_page(
        entries, base=base, server=server, user=user, account=account, page=min(page, pages), pages=pages, total=total
    )
    return render.layout("IAM lifecycle: history", body, base)


@app.get("/history.json")
def history_json(
    reader: ReaderDep,
    session: SessionDep,
    user: Annotated[str, Query(max_length=64)] = "",
    account: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> dict[str, Any]:
    entries, pages, total = _history(session, reader, user, account, page)
    return {"entries": [asdict(entry) for entry in entries], "pages": pages, "total_entries": total}


def _known_snapshot(uri: str) -> dict[str, Any]:
    """The store's snapshot (or addendum) at ``uri``; 404 for anything else: the page reads nothing outside it."""
    root = store.store_root()
    store.INDEX.refresh(root)
    summary = store.INDEX.summary(uri)
    if summary is None or summary[0] != "snapshot":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No snapshot at {uri} in the snapshot store")
    return summary[1]


@app.get("/snapshot", response_class=HTMLResponse)
def snapshot_page(
    request: Request, reader: ReaderDep, session: SessionDep, uri: Annotated[str, Query(max_length=2048)]
) -> str:
    summary = _known_snapshot(uri)
    document = store.read_document(uri)
    base, server = _roots(request)
    body = render.snapshot_page(
        document,
        uri=uri,
        base=base,
        server=server,
        run_dag=records.dag_of_run(session, summary["run_id"], reader.dag_ids),
        restorable=history.PROVISIONING in reader.dag_ids and may_restore(reader.user),
    )
    return render.layout(f"Snapshot of {summary['user_name']} in account {summary['account']}", body, base)


class RestoreRequest(BaseModel):
    snapshot: str


def restore_run_id(user_name: str, now: datetime.datetime) -> str:
    """``restore__<user>__<UTC time>``: the run names whom it brings back (characters a run id may not hold: -)."""
    user = _NOT_IN_RUN_ID.sub("-", user_name).replace("..", ".-")
    return f"restore__{user}__{now:%Y%m%dT%H%M%S.%fZ}"


@app.post("/restore", dependencies=[RESTORER])
def restore(request: Request, body: RestoreRequest, user: GetUserDep) -> dict[str, str]:
    """Trigger ``iam_user_provisioning`` with the snapshot, as the signed-in user (its approval policy applies)."""
    # JSON only: a cross-site form cannot send it without the browser asking this server first (no CSRF).
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Send JSON: nothing was changed")
    summary = _known_snapshot(body.snapshot)
    if summary.get("addendum_to"):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "An addendum is no restore point: nothing was changed")
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import AirflowException
    from airflow.utils.types import DagRunTriggeredByType

    note = (
        f"Restore of {summary['user_name']} (account {summary['account']}) from {body.snapshot}, requested by "
        f"{user.get_name()} on the IAM lifecycle page"
    )
    # Airflow 3.1's trigger_dag takes no note: there the run id alone names the user.
    noted = {"note": note} if "note" in inspect.signature(trigger_dag).parameters else {}
    try:
        run = trigger_dag(
            history.PROVISIONING,
            triggered_by=DagRunTriggeredByType.UI,
            triggering_user_name=user.get_name(),
            run_id=restore_run_id(summary["user_name"], datetime.datetime.now(datetime.UTC)),
            conf={summary.get("restore_param", "snapshot"): body.snapshot},
            **noted,
        )
    except (ValueError, AirflowException) as error:  # bad conf; the DAG not parsed; the run id taken
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{error}: nothing was changed") from None
    _, server = _roots(request)
    return {"run_id": run.run_id, "url": f"{server}/dags/{history.PROVISIONING}/runs/{run.run_id}"}


@app.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, reader: ReaderDep, account: Annotated[str, Query(max_length=12)] = "") -> str:
    if history.RECONCILIATION not in reader.dag_ids:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"You may not read the runs of {history.RECONCILIATION}")
    _, reports = store.INDEX.refresh(store.store_root())
    base, server = _roots(request)
    body = reports_view.reports_page(reports, store.read_document, base=base, server=server, account=account)
    return render.layout("IAM lifecycle: reconciliation reports", body, base)
