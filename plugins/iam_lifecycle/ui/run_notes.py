"""Airflow's own pages read as a history too: each lifecycle run's note says whom it acts on and how it ended.

A listener (the plugin's ``listeners``): when a run of a lifecycle DAG starts, its note names the user ("Offboarding
IAM user alice in 123456789012"), or the reconciliation's mode; when it ends, the note adds how, in the history
page's words (deleted, dry run, rejected by …, timed out, failed…: :func:`iam_lifecycle.ui.history.outcome`). A note a
person wrote is never replaced. It runs where Airflow changes a run's state (the scheduler; the API server when a
person marks a run), in that change's own database session, and reads only the run's task states and approval
answer. Whatever goes wrong here is logged and the run goes on: a note is a courtesy, never a condition.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airflow.listeners import hookimpl

from iam_lifecycle.ui import history

log = logging.getLogger(__name__)

#: Airflow keeps at most this many characters of a note.
NOTE_LIMIT = 1000


def subject(dag_id: str, conf: Mapping[str, Any]) -> str | None:
    """Whom a run acts on, in words (None: not a lifecycle DAG, or nobody named)."""
    user = str(conf.get("user_name") or "")
    where = f" in {conf['account_id']}" if conf.get("account_id") else ""
    if dag_id == history.OFFBOARDING and user:
        return f"Offboarding IAM user {user}{where}" + (" (dry run)" if conf.get("dry_run") else "")
    if dag_id == history.PROVISIONING:
        if conf.get("snapshot"):
            return f"Restoring IAM user {user or history.user_of_snapshot(conf['snapshot'])}{where}"
        return f"Onboarding IAM user {user}{where}" if user else None
    if dag_id == history.ORGANIZATION and user:
        return f"Offboarding {user} in every account of the organization"
    if dag_id == history.RECONCILIATION:
        return f"Stale IAM users, mode {conf.get('mode') or 'report'}"
    return None


def ending(
    dag_id: str,
    conf: Mapping[str, Any],
    state: str,
    answer: Mapping[str, Any] | None,
    states: Mapping[str, str | None],
) -> str:
    """How a finished run ended, as the history says it: ``deleted``, ``rejected by admin: nothing was changed``…"""
    action = {history.OFFBOARDING: "offboarding", history.PROVISIONING: "restore" if conf.get("snapshot") else
              "onboarding"}.get(dag_id)  # fmt: skip
    entry = history.Entry(
        when="", action=action or "", user_name=str(conf.get("user_name") or ""), account="", dag_id=dag_id,
        run_id="", run_state=state, requested_by="", reason="",
    )  # fmt: skip
    if action is None and state == "success" and not (answer and not answer.get("approved")):
        return "done"
    ended, _, detail = history.outcome(entry, conf, answer, states)
    if not detail:
        return ended
    return detail if detail.startswith(ended) else f"{ended}: {detail}"


def _is_ours(dag_run: Any) -> bool:
    """Whether the run's note is empty or one this listener wrote (a person's note has their user id)."""
    written = getattr(dag_run, "dag_run_note", None)
    return written is None or not getattr(written, "user_id", None)


def _write(dag_run: Any, text: str) -> None:
    dag_run.note = text[:NOTE_LIMIT]


@hookimpl
def on_dag_run_running(dag_run: Any, msg: str) -> None:
    try:
        if (words := subject(dag_run.dag_id, dag_run.conf or {})) and _is_ours(dag_run) and not dag_run.note:
            _write(dag_run, words)
    except Exception:
        log.exception("Could not write the note of run %s", getattr(dag_run, "run_id", "?"))


def _finished(dag_run: Any) -> None:
    from sqlalchemy.orm import object_session

    from iam_lifecycle.ui import records

    try:
        conf = dag_run.conf or {}
        words = (subject(dag_run.dag_id, conf) or "").removesuffix(" (dry run)")  # the ending says so
        session = object_session(dag_run)
        if not words or session is None or not _is_ours(dag_run):
            return
        state = str(getattr(dag_run.state, "value", dag_run.state))
        answer = records.approval_answers(session, [dag_run.run_id]).get(dag_run.run_id)
        states = records.task_states(session, [dag_run.run_id]).get(dag_run.run_id, {})
        _write(dag_run, f"{words}: {ending(dag_run.dag_id, conf, state, answer, states)}")
    except Exception:
        log.exception("Could not write the note of run %s", getattr(dag_run, "run_id", "?"))


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _finished(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _finished(dag_run)
