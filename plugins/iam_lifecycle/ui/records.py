"""What the page reads of Airflow's run records: the lifecycle DAGs' runs, and for one page of the history each
run's approval answer and task states. Read in the API server, through its metadata DB session."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iam_lifecycle.ui.history import APPROVAL_TASK, Run


def lifecycle_runs(session: Session, dag_ids: Collection[str]) -> list[Run]:
    """Every run of ``dag_ids``, newest first (a few small columns each: thousands cost milliseconds)."""
    from airflow.models.dagrun import DagRun

    rows = session.execute(
        select(
            DagRun.dag_id,
            DagRun.run_id,
            DagRun.state,
            DagRun.run_after,
            DagRun.conf,
            DagRun.triggering_user_name,
            DagRun.run_type,
        )
        .where(DagRun.dag_id.in_(list(dag_ids)))
        .order_by(DagRun.run_after.desc())
    )
    return [
        Run(
            dag_id=row.dag_id,
            run_id=row.run_id,
            state=str(getattr(row.state, "value", row.state) or ""),
            when=row.run_after.isoformat() if row.run_after else "",
            conf=row.conf if isinstance(row.conf, dict) else {},
            triggering_user_name=row.triggering_user_name,
            run_type=str(getattr(row.run_type, "value", row.run_type) or ""),
        )
        for row in rows
    ]


def _value(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def approval_answers(session: Session, run_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """Run id -> the approval task's answer (``approved``, ``by``, ``timed_out``), for the runs that asked one."""
    from airflow.models.xcom import XComModel

    if not run_ids:
        return {}
    rows = session.execute(
        select(XComModel.run_id, XComModel.value).where(
            XComModel.run_id.in_(list(run_ids)),
            XComModel.task_id == APPROVAL_TASK,
            XComModel.key == "return_value",
        )
    )
    answers = {row.run_id: _value(row.value) for row in rows}
    return {run_id: answer for run_id, answer in answers.items() if isinstance(answer, dict) and "approved" in answer}


def task_results(session: Session, run_ids: Collection[str], task_ids: Collection[str]) -> dict[str, list[Any]]:
    """Run id -> the return values of those of its tasks in ``task_ids`` (every mapped copy's)."""
    from airflow.models.xcom import XComModel

    if not run_ids:
        return {}
    rows = session.execute(
        select(XComModel.run_id, XComModel.value).where(
            XComModel.run_id.in_(list(run_ids)),
            XComModel.task_id.in_(list(task_ids)),
            XComModel.key == "return_value",
        )
    )
    results: dict[str, list[Any]] = {}
    for row in rows:
        if isinstance(value := _value(row.value), dict):
            results.setdefault(row.run_id, []).append(value)
    return results


def task_states(session: Session, run_ids: Collection[str]) -> dict[str, dict[str, str | None]]:
    """Run id -> task id -> state (a mapped task: the state of any of its copies that did not succeed, if one)."""
    from airflow.models.taskinstance import TaskInstance

    if not run_ids:
        return {}
    states: dict[str, dict[str, str | None]] = {}
    rows = session.execute(
        select(TaskInstance.run_id, TaskInstance.task_id, TaskInstance.state).where(
            TaskInstance.run_id.in_(list(run_ids))
        )
    )
    for row in rows:
        state = str(getattr(row.state, "value", row.state)) if row.state else None
        tasks = states.setdefault(row.run_id, {})
        if tasks.get(row.task_id) in (None, "success"):
            tasks[row.task_id] = state
    return states


def dag_of_run(session: Session, run_id: str, dag_ids: Collection[str]) -> str | None:
    """Which lifecycle DAG the run ``run_id`` belongs to (None: not one the user may read, or gone)."""
    from airflow.models.dagrun import DagRun

    return session.scalar(
        select(DagRun.dag_id).where(DagRun.run_id == run_id, DagRun.dag_id.in_(list(dag_ids))).limit(1)
    )
