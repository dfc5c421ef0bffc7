"""The TaskFlow tasks of the offboarding DAG: plan, dry-run switch, approval request and snapshot.

Each is a thin wrapper: the logic is in :mod:`iam_lifecycle.offboarding.plan`, :mod:`iam_lifecycle.approval.answers` and
:mod:`iam_lifecycle.snapshots`.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import get_current_context, task

from iam_lifecycle import snapshots
from iam_lifecycle.approval import pages as approval_requests
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.holdings import MANAGED_POLICIES, plan_of
from iam_lifecycle.messages.texts import dry_run_message, offboarding_message, removal_outcomes
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.reconciliation import last_use

log = logging.getLogger(__name__)


@task
def plan_offboarding(holdings: dict[str, Any]) -> dict[str, Any]:
    """Everything a real run removes, by kind: names, ARNs or ids (`login_profile`: yes/no)."""
    return plan_of(holdings)


@task
def policies_to_detach(plan: dict[str, Any]) -> list[str]:
    """The managed policies' ARNs, for one mapped detach task each (a mapping needs a task's own return value)."""
    return plan[MANAGED_POLICIES.name]


@task
def removals(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """One mapped removal per kind the user holds, besides managed policies and sign-in: its `kind` and `items`."""
    return [{"kind": kind, "items": plan[kind]} for kind in offboarding.REMOVED_ALONGSIDE if plan.get(kind)]


@task.short_circuit
def is_dry_run(params: dict[str, Any]) -> bool:
    """Go on to post the plan only in a dry run."""
    return bool(params["dry_run"])


@task.short_circuit
def is_real_run(params: dict[str, Any]) -> bool:
    """Skip every change (whatever the downstream trigger rules) in a dry run."""
    return not params["dry_run"]


@task(multiple_outputs=True)
def request_approval(params: dict[str, Any], caller_arn: str, plan: dict[str, Any], user: dict[str, Any]) -> dict:
    """
    What the approval page shows (the user, the account, every item that will be removed, and the deny-all policy
    put first) and whom it approves. Whether anyone is asked is the approval policy's (Variable
    `iam_lifecycle_approval_policy`, change `offboarding`; the param `require_approval` can ask where it does not).
    Returns `subject`, `body`, `targets`.
    """
    request = approval_requests.offboarding_request(params, caller_arn, plan, True)
    account = params.get("account_id") or caller_arn.split(":")[4]
    return request | {"targets": [approval_proof.target(account, user["UserName"], user["UserId"])]}


#: Errors of a snapshot store that no retry can fix (no such bucket or folder, no permission, a bad URI).
PERMANENT_STORAGE_ERRORS = (FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError, ValueError)


@task(multiple_outputs=True)
def take_snapshot(
    user: dict[str, Any], caller_arn: str, holdings: dict[str, Any], approval: dict[str, Any] | None = None
) -> dict[str, Any]:
    """
    Write the user's snapshot before the first change, read it back, and find the snapshots of earlier attempts.

    Returns `uri` (this run's snapshot), `earlier`: snapshots of the same user (same UserId) written before,
    oldest first — after a run that failed part way, the oldest is the user as it was before the first change —
    and `requested_by` and `approved_by`, kept in the snapshot: who triggered this run and who approved it, as the
    signed approval record says (this run's, or the one of the run that started it after its own approval). First,
    the approval the policy asks for is checked: without it nothing is written or changed.
    A store that cannot be written fails the run at once, with nothing changed.
    """
    context = get_current_context()
    params = context["params"]
    account = params.get("account_id") or caller_arn.split(":")[4]
    trail = approval_proof.verify_for_change(
        context, "offboarding", approval_proof.target(account, user["UserName"], user["UserId"])
    )
    approver = ", ".join(trail["approved_by"]) or None
    hook = account_hook(IamHook, params, context["run_id"])  # the run's account, a member account's role too
    offboarding.confirm_before_first_change(hook, user, caller_arn)  # still the checked user, after any wait
    # Started by the reconciliation after its approval: the user must not have been used since its plan.
    relied_on = (trail["target"] or {}).get("relied_on")
    if reason := last_use.offboarding_relied_on_reason(hook, user["UserName"], relied_on):
        raise nothing_changed(reason)
    try:
        uri = snapshots.write_user_snapshot(
            hook,
            user,
            holdings,
            caller_arn=caller_arn,
            run_id=context["run_id"],
            reason=params.get("reason") or "",  # the trigger form sends an emptied Reason as null
            approved_by=approver,
            requested_by=trail["requested_by"],
        )
        earlier = snapshots.earlier_snapshots(snapshots.storage_root(), user, before=uri)
    except PERMANENT_STORAGE_ERRORS as error:
        raise nothing_changed(f"the snapshot could not be written ({type(error).__name__}: {error})") from None
    return {"uri": uri, "earlier": earlier, "approved_by": approver, "requested_by": trail["requested_by"]}


@task
def describe_plan(params: dict[str, Any], caller_arn: str, plan: dict[str, Any]) -> str:
    """The dry run's plan: every item a real run would remove, and the reason; in the task log and, next, Slack."""
    text = dry_run_message(params["user_name"], caller_arn, plan, params.get("reason"))
    log.info("%s", text)
    return text


# none_failed: a mapped removal with nothing to map is skipped, and the message must still be sent.
@task(trigger_rule="none_failed")
def compose_message(
    params: dict[str, Any],
    caller_arn: str,
    outcome: dict[str, Any],
    plan: dict[str, Any],
    snapshot: dict[str, Any],
    login_profile: dict[str, Any],
    detached: list,
    kinds: list,
    removed: list,
) -> str:
    """The Slack text: "deleted" only when this run's DeleteUser deleted the user; what this run removed."""
    return offboarding_message(
        params["user_name"],
        caller_arn,
        params.get("reason"),
        plan,
        snapshot,
        outcome,
        approved_by=snapshot.get("approved_by"),
        requested_by=snapshot.get("requested_by"),
        removals=removal_outcomes(login_profile, list(detached or []), list(kinds or []), list(removed or [])),
    )
