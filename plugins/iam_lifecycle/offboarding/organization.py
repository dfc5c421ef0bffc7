"""Offboarding one person from every account of an AWS Organization (``iam_user_offboarding_organization``).

The flow: the organization's accounts (:func:`iam_lifecycle.accounts.targets.organization_targets`); in each,
:func:`find_user` (STS GetCallerIdentity through the member role, then one GetUser); :func:`plan_offboardings`
splits the accounts into those where the user exists, those where it does not, and those that could not be read,
and gives the conf of one ``iam_user_offboarding`` run per account where it exists; once those runs are over,
:func:`outcomes` says how each ended, ``summaries.organization_offboarding_message`` is the Slack summary,
and :func:`failed_reason` fails the run when any account failed. Only :func:`find_user` calls AWS; the rest is
plain data in and out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from iam_lifecycle import snapshots
from iam_lifecycle.accounts.targets import target_label
from iam_lifecycle.aws.connections import AccountMismatchError
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import StsHook
from iam_lifecycle.aws.sessions import account_hook
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


def plan_offboardings(lookups: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """
    Where the user is: ``{"present": [...], "absent": [...], "failed": [...], "confs": [...]}``, each a list of
    :func:`find_user` results but ``confs``: the conf of the ``iam_user_offboarding`` run of each account where
    the user exists (``user_name``, ``reason``, ``dry_run``, ``aws_conn_id`` — the organization connection —,
    ``account_id``, ``member_role_name``).
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
    return {"present": present, "absent": absent, "failed": failed, "confs": confs}


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


def failed_reason(plan: dict[str, Any], ended: list[dict[str, Any]]) -> str | None:
    """Why the run must fail once Slack was told: each account where the lookup or the offboarding failed."""
    failures = [f"{target_label(e)}: {e['error']}" for e in plan["failed"]] + [
        f"{target_label(e)}: iam_user_offboarding run {e['run_id']} ended {e['state']}"
        for e in ended
        if e["state"] != "success"
    ]
    if not failures:
        return None
    return f"IAM user offboarding failed in {counted(len(failures), 'account')}: {' | '.join(failures)}"
