"""Stale-user reconciliation: who is exempt, who is acted on within the cap, and the report.

The flow (``iam_stale_user_reconciliation``): per account, :func:`find_in_account` reads the account (the only
function here that calls AWS) and :func:`account_findings` splits the stale users
(:func:`iam_lifecycle.reconciliation.staleness.stale_users`) into those that may be acted on and those that are exempt;
:func:`plan_reconciliation` merges the accounts and picks at most ``max_users`` users, stalest first, for the
run's mode (:mod:`reconciliation.reports` writes the report, :mod:`reconciliation.revocation` revokes and
disables). An account that cannot be read is a :func:`failed_finding`: reported with its error beside the others, and
:func:`account_errors_reason` fails the run once Slack has been told. The rest is plain data in and out.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from botocore.exceptions import ClientError

from iam_lifecycle import protection, snapshots
from iam_lifecycle.accounts.targets import connection_target, member_fields, target_label
from iam_lifecycle.aws.connections import AccountMismatchError
from iam_lifecycle.aws.credential_report import fetch_credential_report
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import StsHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.compat import AirflowException
from iam_lifecycle.reconciliation import last_use
from iam_lifecycle.reconciliation.modes import Mode, mode_named
from iam_lifecycle.reconciliation.revocation import unused_by_user
from iam_lifecycle.reconciliation.staleness import (
    CREDENTIAL_NAMES,
    ROOT_ACCOUNT,
    parse_credential_report,
    stale_users,
    unused_credentials,
)

#: Set by the disable mode to the day it disabled the user; such a user is not disabled again.
DISABLED_AT_TAG = "lifecycle:disabled-at"

log = logging.getLogger(__name__)


def find_in_account(
    target: str | dict[str, Any],
    now: datetime.datetime,
    max_idle_days: int,
    patterns: list[str],
    poll_seconds: float = 2.0,
    *,
    run_id: str = "",
) -> dict[str, Any]:
    """
    Read one account and return its :func:`account_findings`, or, when it cannot be read, :func:`failed_finding`.

    :param target: an AWS connection id, or a target of :mod:`iam_lifecycle.accounts.targets` (a member account of an
        organization is read through its role, in an STS session named after ``run_id``).

    STS GetCallerIdentity comes first, so a missing connection, a member role that cannot be assumed, or an
    identity in another account than expected (the member account, or the connection extra's ``account_id``)
    makes no IAM call. Any failure (those, AccessDenied, a report that never completes…) is returned rather than
    raised, so that the other accounts are still reported; the DAG fails at its end.

    IAM cost, whatever the number of users: GenerateCredentialReport until complete and GetCredentialReport, one
    GetAccountAuthorizationDetails page per 1000 users, and STS GetCallerIdentity (plus AssumeRole for a member
    account); no call per user.
    """
    target = connection_target(target) if isinstance(target, str) else target
    account = target.get("account_id")
    try:
        caller_arn = account_hook(StsHook, target, run_id).get_caller_arn()
        account = snapshots.account_of(caller_arn)
        hook = account_hook(IamHook, target, run_id)
        rows = parse_credential_report(fetch_credential_report(hook, poll_seconds=poll_seconds))
        stale = stale_users(rows, now, max_idle_days)
        unused = unused_credentials(rows, now, max_idle_days)
        users = hook.list_users_with_details()
    except Exception as error:
        log.exception("Could not scan the account of %s", target_label(target))
        if isinstance(error, AccountMismatchError):
            account = error.account
        return failed_finding(target["aws_conn_id"], account, error) | member_fields(target)
    findings = account_findings(rows, stale, users, caller_arn, patterns, aws_conn_id=target["aws_conn_id"])
    return (
        findings | {"unused_credentials": unused_by_user(unused, users, caller_arn, patterns)} | member_fields(target)
    )


def failed_finding(aws_conn_id: str, account: str | None, error: BaseException) -> dict[str, Any]:
    """
    An account that could not be read: ``{"aws_conn_id", "account", "error"}``, ``account`` None unless STS
    told it (or the account is an organization's), ``error`` one line. :func:`find_in_account` adds a member
    account's ``account_id``, ``account_name`` and ``member_role_name``.
    """
    line = next(iter(str(error).strip().splitlines()), "")
    if not isinstance(error, AirflowException | ClientError):
        # Airflow's and AWS's messages say what failed; others (TimeoutError, KeyError…) need their type.
        line = f"{type(error).__name__}: {line}" if line else type(error).__name__
    return {"aws_conn_id": aws_conn_id, "account": account, "error": line}


def account_findings(
    report_rows: list[dict[str, str]],
    stale: list[dict[str, Any]],
    users: list[dict[str, Any]],
    caller_arn: str,
    patterns: list[str],
    *,
    aws_conn_id: str,
) -> dict[str, Any]:
    """
    One account's stale users, split into those that may be acted on and those that are exempt.

    A stale user is exempt when :func:`iam_lifecycle.protection.protection_reason` gives a reason (the
    protected-users Variable, the tag ``lifecycle:protected=true``, or the DAG's own identity), or when it is
    missing from the user listing (created or deleted between the credential report and the listing), since
    its tags are then unknown.

    :param report_rows: the credential report's rows (for the number of users scanned).
    :param stale: :func:`~iam_lifecycle.reconciliation.staleness.stale_users` of those rows.
    :param users: ``IamHook.list_users_with_details()`` (names, ARNs and tags).
    :param caller_arn: the identity the connection acts as.
    :param patterns: the protected-users Variable's patterns.
    :return: ``{"aws_conn_id", "account", "caller_arn", "users_scanned", "stale", "exempt"}``; each stale entry is
        a ``stale_users`` item plus ``disabled_at`` (the ``lifecycle:disabled-at`` tag or None) and ``relied_on``
        (:func:`reconciliation.last_use.relied_on` plus the listing's ``user_id``: what disable and delete check
        again before they act), each exempt entry also has ``reason``.
    """
    by_name = {user["UserName"]: user for user in users}
    rows = {row["user"]: row for row in report_rows}
    actionable, exempt = [], []
    for entry in stale:
        user = by_name.get(entry["user_name"])
        if user is None:
            reason = (
                f"IAM user {entry['user_name']} is not in the user listing (created or deleted since the credential "
                "report), so its tags are unknown"
            )
        else:
            reason = protection.protection_reason(user, caller_arn, patterns)
        entry = {**entry, "disabled_at": (user or {}).get("Tags", {}).get(DISABLED_AT_TAG)}
        if entry["user_name"] in rows:  # what disable and delete check again before they act
            entry["relied_on"] = last_use.relied_on(rows[entry["user_name"]]) | {"user_id": (user or {}).get("UserId")}
        if reason:
            exempt.append({**entry, "reason": reason})
        else:
            actionable.append(entry)
    return {
        "aws_conn_id": aws_conn_id,
        "account": snapshots.account_of(caller_arn),
        "caller_arn": caller_arn,
        "users_scanned": sum(1 for row in report_rows if row["user"] != ROOT_ACCOUNT),
        "stale": actionable,
        "exempt": exempt,
    }


def stale_reason(idle_days: int, run_id: str) -> str:
    """The reason an action on a stale user gives (in the offboarding's Slack message and in snapshots)."""
    days = "day" if idle_days == 1 else "days"
    return f"stale: idle {idle_days} {days} (iam_stale_user_reconciliation run {run_id})"


def unused_reason(entry: dict[str, Any], run_id: str) -> str:
    """The reason a revocation gives (in snapshots): which credentials, and how long unused."""
    names = ", ".join(CREDENTIAL_NAMES[c["credential"]] for c in entry["credentials"])
    return f"unused: {names}, idle up to {entry['idle_days']} days (iam_stale_user_reconciliation run {run_id})"


def _candidates(findings: list[dict[str, Any]], mode: Mode, run_id: str, today: str) -> list[dict[str, Any]]:
    """Every user the mode could act on, with its account, the reason, and (revoke, disable) what to revoke."""
    candidates = []
    for finding in findings:
        account = {
            "account": finding["account"],
            "aws_conn_id": finding["aws_conn_id"],
            "caller_arn": finding["caller_arn"],
            **member_fields(finding),
        }
        if not mode.acts_on_stale_users:
            for entry in finding.get("unused_credentials", {}).get("revocable", []):
                candidates.append({**entry, **account, "reason": unused_reason(entry, run_id), "tags": {}})
            continue
        for entry in finding["stale"]:
            if mode.marks_disabled and entry["disabled_at"]:
                continue
            candidate = {**entry, **account, "reason": stale_reason(entry["idle_days"], run_id)}
            if mode.marks_disabled:
                candidate |= {"credentials": None, "tags": {DISABLED_AT_TAG: today}}
            candidates.append(candidate)
    return sorted(candidates, key=lambda c: (-c["idle_days"], c["account"], c["user_name"]))


def plan_reconciliation(
    findings: list[dict[str, Any]], mode: str, max_users: int, run_id: str, today: str = ""
) -> dict[str, Any]:
    """
    Which users this run acts on: at most ``max_users`` over all accounts, stalest first.

    In ``report`` mode nobody. In ``revoke`` mode the users with unused credentials (any user, stale or not, that
    is not protected), each with those credentials. In ``disable`` mode the stale users, less those already tagged
    ``lifecycle:disabled-at`` (disabling them again would change nothing but the date); ``delete`` mode takes them
    too.

    :param findings: :func:`account_findings` or :func:`failed_finding` per account.
    :param today: the run's date (ISO), the value of the ``lifecycle:disabled-at`` tag in disable mode.
    :raises ValueError: an unknown mode, or two connections of the same account (its users would be acted on
        twice).
    :return: ``{"mode", "max_users", "accounts": [...], "failed": [...], "selected": [...], "over_cap": [...],
        "revoke": [...], "delete": [...]}``. ``accounts`` holds the accounts read, ``failed`` the
        :func:`failed_finding` of those that could not be. ``selected`` and ``over_cap`` hold the candidates (with
        ``account``, ``aws_conn_id``, ``caller_arn``, ``reason`` and, in a member account of an organization,
        ``account_id``, ``account_name`` and ``member_role_name``) acted on and left alone because of the cap.
        ``revoke`` is ``selected`` in revoke and disable modes (for ``reconciliation.revocation``; each with
        ``credentials`` — None for all — and ``tags``), else empty; ``delete`` is, in delete mode, the
        :func:`offboarding_conf` of each ``iam_user_offboarding`` run to trigger.
    """
    behaviour = mode_named(mode)
    failed = [finding for finding in findings if "error" in finding]
    findings = [finding for finding in findings if "error" not in finding]
    seen: dict[str, str] = {}
    for finding in findings:
        if (other := seen.setdefault(finding["account"], finding["aws_conn_id"])) != finding["aws_conn_id"]:
            raise ValueError(
                f"connections {other} and {finding['aws_conn_id']} are both account {finding['account']}; "
                "list each account once"
            )
    today = today or str(datetime.date.today())
    candidates = _candidates(findings, behaviour, run_id, today) if behaviour.changes else []
    selected, over_cap = candidates[:max_users], candidates[max_users:]
    return {
        "mode": mode,
        "max_users": max_users,
        "accounts": findings,
        "failed": failed,
        "selected": selected,
        "over_cap": over_cap,
        "revoke": selected if behaviour.revokes else [],
        "delete": [offboarding_conf(c) for c in selected] if behaviour.deletes else [],
    }


def offboarding_conf(candidate: dict[str, Any]) -> dict[str, Any]:
    """
    The conf of the ``iam_user_offboarding`` run that deletes a selected user: ``user_name``, ``reason``,
    ``aws_conn_id``, and for a member account of an organization ``account_id`` and ``member_role_name``.
    """
    conf = {key: candidate[key] for key in ("user_name", "reason", "aws_conn_id")}
    if candidate.get("account_id"):
        conf |= {"account_id": candidate["account_id"], "member_role_name": candidate["member_role_name"]}
    return conf


def account_errors_reason(plan: dict[str, Any]) -> str | None:
    """Why the run must fail once reported: the accounts that could not be read, each with its error; else None."""
    if not plan["failed"]:
        return None
    total = len(plan["failed"]) + len(plan["accounts"])
    errors = " | ".join(f"{target_label(finding)}: {finding['error']}" for finding in plan["failed"])
    scanned = "accounts" if any(finding.get("account_id") for finding in plan["failed"]) else "AWS connections"
    return f"Could not scan {len(plan['failed'])} of {total} {scanned} (the others were reported): {errors}"
