"""Offboarding one person from every account of an AWS Organization (``iam_user_offboarding_organization``).

The flow: the organization's accounts (:func:`iam_lifecycle.accounts.targets.list_targets`); in each,
:func:`find_user` (STS GetCallerIdentity through the member role, then one GetUser), and the person in IAM
Identity Center (:mod:`iam_lifecycle.identity_center.person`); :func:`plan_offboardings` splits the accounts into
those where the user exists, those where it does not, and those that could not be read, keeps the Identity Center
lookup, and gives the conf of one ``iam_user_offboarding`` run per account where the user exists;
:func:`approval_targets` is what the approval approves. Once the runs and the Identity Center removal are over,
:func:`outcomes` says how each run ended, :func:`verify_nothing_left` reads every account and the identity store
again, ``summaries.organization_offboarding_message`` is the Slack summary, and :func:`failed_reason` fails the run
when anything failed or is left. Only :func:`find_user` and :func:`verify_nothing_left` call AWS here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from iam_lifecycle import snapshots
from iam_lifecycle.accounts.targets import target_label
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.aws.connections import AccountMismatchError
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import StsHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.identity_center import person
from iam_lifecycle.identity_center.hooks import IdentityStoreHook, SsoAdminHook
from iam_lifecycle.messages.wording import counted
from iam_lifecycle.reconciliation.flow import failed_finding

log = logging.getLogger(__name__)


def find_user(target: dict[str, Any], user_name: str, run_id: str) -> dict[str, Any]:
    """
    Whether ``user_name`` exists in the target's account: the target plus ``exists`` (True/False) and
    ``caller_arn``; or, when the account cannot be read (the role cannot be assumed, another account answers,
    AccessDenied…), the target plus ``error`` (one line), returned rather than raised so the others go on.

    AWS cost: STS AssumeRole and GetCallerIdentity (which checks the account), and one IAM GetUser.
    """
    try:
        caller_arn = account_hook(StsHook, target, run_id).get_caller_arn()
        exists = account_hook(IamHook, target, run_id).get_user(user_name) is not None
    except Exception as error:
        log.exception("Could not look for IAM user %s in %s", user_name, target_label(target))
        account = error.account if isinstance(error, AccountMismatchError) else target["account_id"]
        return {**target, "error": failed_finding(target["aws_conn_id"], account, error)["error"]}
    log.info("IAM user %s %s in %s", user_name, "exists" if exists else "does not exist", target_label(target))
    return {**target, "exists": exists, "caller_arn": caller_arn, "account": snapshots.account_of(caller_arn)}


def plan_offboardings(
    lookups: list[dict[str, Any]], params: dict[str, Any], identity_center: dict[str, Any] | None = None
) -> dict[str, Any]:
    """
    Where the user is: ``{"present": [...], "absent": [...], "failed": [...], "confs": [...], "identity_center"}``,
    each a list of :func:`find_user` results but ``confs``: the conf of the ``iam_user_offboarding`` run of each
    account where the user exists (``user_name``, ``reason``, ``dry_run``, ``aws_conn_id`` — the organization
    connection —, ``account_id``, ``member_role_name``); ``identity_center``: the person's Identity Center lookup
    (:func:`iam_lifecycle.identity_center.person.look_up`; None: not read).
    """
    failed = [lookup for lookup in lookups if "error" in lookup]
    present = [lookup for lookup in lookups if lookup.get("exists")]
    absent = [lookup for lookup in lookups if "error" not in lookup and not lookup["exists"]]
    confs = [
        {
            "user_name": params["user_name"],
            "reason": params.get("reason") or "",
            "dry_run": bool(params.get("dry_run")),
            "aws_conn_id": lookup["aws_conn_id"],
            "account_id": lookup["account_id"],
            "member_role_name": lookup["member_role_name"],
        }
        for lookup in present
    ]
    center = identity_center or person.skipped("not read")
    return {"present": present, "absent": absent, "failed": failed, "confs": confs, "identity_center": center}


def identity_center_target(lookup: dict[str, Any]) -> dict[str, Any]:
    """The Identity Center user as an approval record names it: in its identity store, with its UserId."""
    return approval_proof.target(lookup["identity_store_id"], lookup["user_name"], lookup["user_id"])


def approval_targets(plan: dict[str, Any], user_name: str) -> list[dict[str, Any]]:
    """What the approval approves: the IAM user in each account where it exists, and the Identity Center user."""
    approved = [approval_proof.target(lookup["account"], user_name, None) for lookup in plan["present"]]
    if person.holds_anything(plan.get("identity_center") or {}):
        approved.append(identity_center_target(plan["identity_center"]))
    return approved


def outcomes(
    plan: dict[str, Any], run_ids: list[str | None], state_of: Callable[[str], str | None]
) -> list[dict[str, Any]]:
    """
    How the offboarding of each account where the user exists ended: each of ``plan["present"]`` with ``run_id``
    and ``state`` (``success``, ``failed``…, or ``not triggered``).

    :param run_ids: the run id each trigger task pushed, in the order of ``plan["confs"]`` (None: none pushed).
    :param state_of: the state of an ``iam_user_offboarding`` run, by its run id.
    """
    ended = []
    for lookup, run_id in zip(plan["present"], list(run_ids) + [None] * len(plan["present"]), strict=False):
        state = (state_of(run_id) or "unknown") if run_id else "not triggered"
        # The Task SDK answers a DagRunState (a str enum, whose str() is "DagRunState.SUCCESS").
        ended.append({**lookup, "run_id": run_id, "state": str(getattr(state, "value", state))})
    return ended


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def verify_nothing_left(
    targets: list[dict[str, Any]], user_name: str, lookup: dict[str, Any], conn_id: str, run_id: str
) -> dict[str, Any]:
    """
    The proof, read afresh after every change: ``{"accounts": N, "identity_center": bool, "left": [...]}``, ``left``
    naming each account where the IAM user still exists or that could not be read, and what is left in Identity
    Center (a user of that UserName, an assignment of the removed user). Empty ``left``: nothing is left.

    AWS cost: per account STS AssumeRole and one GetUser; in Identity Center GetUserId and one
    ListAccountAssignmentsForPrincipal.
    """
    left = []
    for target in targets:
        try:
            if account_hook(IamHook, target, run_id).get_user(user_name) is not None:
                left.append(f"IAM user {user_name} in {target_label(target)}")
        except Exception as error:
            left.append(f"{target_label(target)} could not be read: {_first_line(error)}")
    read = bool(lookup.get("enabled") and lookup.get("identity_store_id"))
    if lookup.get("enabled") and not read:
        left.append(f"IAM Identity Center could not be read: {lookup.get('error')}")
    if read:
        name = lookup["user_name"]
        try:
            if user_id := IdentityStoreHook(aws_conn_id=conn_id).get_user_id(lookup["identity_store_id"], name):
                left.append(f"Identity Center user {name} ({user_id})")
            if lookup.get("user_id"):
                assigned = SsoAdminHook(aws_conn_id=conn_id).list_assignments(
                    lookup["instance_arn"], lookup["user_id"], "USER"
                )
                names = {a["permission_set_arn"]: a["permission_set_name"] for a in lookup.get("assignments") or []}
                left += [
                    f"Identity Center assignment {names.get(a['PermissionSetArn'], a['PermissionSetArn'])} in "
                    f"{a['AccountId']}"
                    for a in assigned
                ]
        except Exception as error:
            left.append(f"IAM Identity Center could not be read: {_first_line(error)}")
    return {"accounts": len(targets), "identity_center": read, "left": left}


def failed_reason(
    plan: dict[str, Any],
    ended: list[dict[str, Any]],
    removed: dict[str, Any] | None = None,
    verified: dict[str, Any] | None = None,
) -> str | None:
    """
    Why the run must fail once Slack was told: each account where the lookup or the offboarding failed, Identity
    Center that could not be read or whose removal stopped (``removed``), and what the proof (``verified``) found
    left.
    """
    failures = [f"{target_label(e)}: {e['error']}" for e in plan["failed"]] + [
        f"{target_label(e)}: iam_user_offboarding run {e['run_id']} ended {e['state']}"
        for e in ended
        if e["state"] != "success"
    ]
    center = plan.get("identity_center") or {}
    problems = [f"IAM Identity Center could not be read: {center['error']}"] if center.get("error") else []
    if removed and removed.get("failed"):
        problems.append(f"IAM Identity Center user {removed['user_name']}: {removed['failed']}")
    if verified and verified["left"]:
        problems.append(f"left after the run: {'; '.join(verified['left'])}")
    if not failures and not problems:
        return None
    said = [f"IAM user offboarding failed in {counted(len(failures), 'account')}: {' | '.join(failures)}"]
    return " | ".join((said if failures else []) + problems)
