"""A person approves before a run changes IAM: whether a run asks, who may answer, and what the answer was.

The approval task (:class:`iam_lifecycle.operators.approval.ApprovalGateOperator`) waits in the Airflow UI's
*Required actions* after the plan and before the first snapshot or change. Everything here is plain data in and
out; the operator reads the Variables and hands their values to these functions. What each DAG's approval page
shows is :mod:`iam_lifecycle.approval.pages`.

- Whether a run asks, and how many people, is the approval policy's (:mod:`iam_lifecycle.approval.policy`); a
  run asks only when its plan acts on someone (not in a dry run, not in mode ``report``).
- What proves an approval to the tasks that change IAM: :mod:`iam_lifecycle.approval.proof`.
- Who may answer: the Variable ``iam_lifecycle_approvers``, a JSON list of the auth manager's user ids (or
  ``{"id", "name"}`` objects); absent or empty, anyone allowed to act on the DAG's runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

APPROVERS_VARIABLE = "iam_lifecycle_approvers"
#: The approval task's id in every DAG that has one.
APPROVAL_TASK_ID = "approve_changes"
#: The param ``approval_timeout``'s default, in seconds: with no answer by then, nothing is changed.
DEFAULT_TIMEOUT_SECONDS = 24 * 60 * 60
APPROVE, REJECT = "Approve", "Reject"


def approvers(raw: str | None) -> list[dict[str, str]]:
    """
    Who may answer, as the HITL operator's ``assigned_users``, from the Variable ``iam_lifecycle_approvers``.

    :param raw: the Variable's value: a JSON list whose items are user ids (strings; the id is also shown as the
        name) or ``{"id": …, "name": …}`` objects. None or empty: anyone allowed to act on the DAG's runs.
    :raises ValueError: a value that is not such a list. It refuses the approval rather than open it to everyone.
    """
    if raw is None or not raw.strip():
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise ValueError(f"Variable {APPROVERS_VARIABLE} must be a JSON list of user ids, not {raw!r}")
    users = []
    for item in value:
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            users.append({"id": str(item), "name": str(item)})
        elif isinstance(item, dict) and str(item.get("id") or "").strip():
            users.append({"id": str(item["id"]), "name": str(item.get("name") or item["id"])})
        else:
            raise ValueError(f"Variable {APPROVERS_VARIABLE}: {item!r} is neither a user id nor {{'id', 'name'}}")
    return users


def duration(seconds: float) -> str:
    """'24 h', '90 min', '45 s': how a timeout is said."""
    seconds = int(seconds)
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def decision(event: Mapping[str, Any], timeout_seconds: float | None) -> dict[str, Any]:
    """
    The answer, as plain data for XCom: ``{"approved", "by", "at", "timed_out", "timeout_seconds"}``.

    :param event: what the HITL task resumes with: ``chosen_options``, ``responded_by_user`` (``{"id", "name"}``,
        None when nobody answered), ``responded_at`` and, from the scheduler's timeout sweep, ``timedout``.
        A timeout applies the default, Reject; it never approves.
    """
    user = event.get("responded_by_user") or None
    timed_out = bool(event.get("timedout")) or user is None
    at = event.get("responded_at")
    return {
        "approved": not timed_out and list(event.get("chosen_options") or []) == [APPROVE],
        "by": None if timed_out else (user.get("name") or user.get("id")),
        "at": at.isoformat() if hasattr(at, "isoformat") else at,
        "timed_out": timed_out,
        "timeout_seconds": timeout_seconds,
    }


def decision_phrase(answer: Mapping[str, Any]) -> str:
    """'approved by alice', 'rejected by bob' or 'no answer within 24 h'."""
    if answer["timed_out"]:
        within = f" within {duration(answer['timeout_seconds'])}" if answer.get("timeout_seconds") else ""
        return f"no answer{within}"
    return f"{'approved' if answer['approved'] else 'rejected'} by {answer['by']}"


def approved_by(answer: Mapping[str, Any] | None) -> str | None:
    """Who approved, or None (not asked, rejected or timed out)."""
    return answer["by"] if answer and answer["approved"] else None
