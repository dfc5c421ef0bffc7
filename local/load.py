"""
The bulk offboarding load, on a running stack: stale users deleted by ``iam_stale_user_reconciliation``.

Shared by the distributed test suite and ``make bench``: :func:`seed_idle_users` creates users nobody has used
for 200 days or more (a console password, an access key and a managed policy each, as a forgotten account
typically holds); :func:`start_deleting` triggers the reconciliation in mode ``delete`` and approves it as the
stack's admin, as soon as it asks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from local.standalone import RECONCILIATION_DAG_ID, Standalone
from sandbox.seed import NOTHING, seed_user, set_user_dates

STALE_SHAPE = NOTHING | {"access_keys": 1, "login_profile": True, "managed_policies": 1}


def seed_idle_users(
    stack: Standalone, names: list[str], idle_days: int = 200, account: str | None = None, tags: dict | None = None
) -> None:
    """
    Create each user in ``account`` (default: the sandbox's own), its credentials last used ``idle_days`` plus its
    index in ``names`` days ago: the last is the stalest, so a capped run deletes from the end of the list.
    """
    iam = stack.client("iam", account)
    now = datetime.now(UTC)
    for index, name in enumerate(names):
        seed_user(iam, name, STALE_SHAPE, tags=tags)
        used = (now - timedelta(days=idle_days + index)).isoformat()
        dates = {"create_date": (now - timedelta(days=400)).isoformat(), "password_last_used": used}
        set_user_dates(stack.moto_url, name, dates | {"access_key_last_used": [used]} | _in(account))


def _in(account: str | None) -> dict[str, str]:
    return {"account": account} if account else {}


def start_deleting(stack: Standalone, conf: dict, requested_by: str | None = None) -> str:
    """
    Trigger the reconciliation in mode delete with ``conf`` (as the user ``requested_by``; None: the stack's admin),
    approve it as the admin once it asks; return the run id. The requester cannot approve its own run unless the
    approval policy allows it.
    """
    requester = stack.as_user(requested_by) if requested_by else stack
    run_id = requester.trigger({"mode": "delete"} | conf, dag_id=RECONCILIATION_DAG_ID)
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id, dag_id=RECONCILIATION_DAG_ID)
    stack.answer(run_id, "Approve", APPROVAL_TASK_ID, dag_id=RECONCILIATION_DAG_ID)
    return run_id
