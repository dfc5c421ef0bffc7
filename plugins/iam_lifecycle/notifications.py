"""The text of the Slack messages the lifecycle DAGs send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_lifecycle.approval import approved_by, decision_phrase, duration
from iam_lifecycle.staleness import CREDENTIAL_NAMES
from iam_lifecycle.targets import target_label

#: How each kind of removed thing is named in a message, singular and plural.
KIND_NAMES = {
    "managed_policies": ("managed policy", "managed policies"),
    "inline_policies": ("inline policy", "inline policies"),
    "groups": ("group membership", "group memberships"),
    "access_keys": ("access key", "access keys"),
    "ssh_public_keys": ("SSH public key", "SSH public keys"),
    "signing_certificates": ("signing certificate", "signing certificates"),
    "service_specific_credentials": ("service-specific credential", "service-specific credentials"),
    "mfa_devices": ("MFA device", "MFA devices"),
    "login_profile": ("login profile", "login profiles"),
}


def count_phrase(kind: str, count: int) -> str:
    singular, plural = KIND_NAMES[kind]
    return f"{count} {singular if count == 1 else plural}"


def item_count(items: list | bool) -> int:
    """How many items one kind's listing holds (``login_profile`` is a bool)."""
    return int(items) if isinstance(items, bool) else len(items)


def removed_summary(held: Mapping[str, list | bool]) -> str:
    """'12 managed policies, 2 inline policies, …' for the kinds the user held, or 'nothing'."""
    phrases = [count_phrase(kind, item_count(held[kind])) for kind in KIND_NAMES if held.get(kind)]
    return ", ".join(phrases) or "nothing"


def offboarding_message(
    user_name: str,
    caller_arn: str,
    reason: str | None,
    plan: Mapping[str, list | bool],
    snapshot: Mapping[str, Any],
    outcome: Mapping[str, Any],
    approved_by: str | None = None,
) -> str:
    """
    What an offboarding run did: 'IAM user NAME deleted by ARN' (', approved by USER' when a person approved it),
    or that someone else deleted it first; what it removed (the plan, plus what a DeleteConflict found added during
    the run), why, and the snapshot(s).

    :param snapshot: ``uri`` of this run's snapshot and ``earlier``: those of earlier attempts, oldest first.
    :param outcome: as ``iam_lifecycle.offboarding.delete_user`` returns it.
    :param approved_by: who approved the run (or the run that triggered it), if anyone.
    """
    if outcome["gone_before"]:
        return (
            f"IAM user {user_name} was already deleted when this run ({caller_arn}) came to delete it; "
            f"this run removed {removed_summary(plan)} before that. Snapshot: {snapshot['uri']}"
        )
    deleted = f"IAM user {user_name} deleted by {caller_arn}"
    if approved_by:
        deleted += f", approved by {approved_by}"
    if outcome["confirmed_by_retry"]:
        deleted += " (DeleteUser's answer was lost; its retry found the user gone)"
    lines = [deleted, f"Removed: {removed_summary(plan)}"]
    if outcome["leftovers"]:
        lines.append(
            f"Also removed, added during the run: {removed_summary(outcome['leftovers'])} "
            f"(recorded in {', '.join(outcome['addenda'])})"
        )
    if reason:
        lines.append(f"Reason: {reason}")
    lines.append(f"Snapshot: {snapshot['uri']}")
    if snapshot["earlier"]:
        lines.append(
            f"Earlier snapshots of this user (same UserId), from attempts that changed it before: "
            f"{', '.join(snapshot['earlier'])}. Restore from {snapshot['earlier'][0]} to get the user back as it was."
        )
    return "\n".join(lines)


def _items(items: list | bool) -> str:
    if isinstance(items, bool):
        return "yes" if items else "no"
    return ", ".join(items) if items else "none"


def dry_run_message(user_name: str, caller_arn: str, plan: Mapping[str, list | bool], reason: str | None = "") -> str:
    """The plan of a dry run: every item a real run would remove, by kind, and the reason when one was given."""
    lines = [f"DRY RUN: offboarding IAM user {user_name} as {caller_arn} would remove:"]
    for kind, (_, plural) in KIND_NAMES.items():
        label = "login profile" if kind == "login_profile" else plural
        lines.append(f"- {label}: {_items(plan[kind])}")
    if reason:
        lines.append(f"Reason: {reason}")
    lines.append("Nothing was changed.")
    return "\n".join(lines)


def failure_message(dag_id: str, task_id: str, run_id: str, user_name: str | None, error: BaseException | None) -> str:
    """'FAILED: DAG / TASK (run RUN) for IAM user NAME: the error's first line'."""
    lines = str(error).strip().splitlines() if error is not None else []
    cause = (
        (lines or ["unknown error"])[0]
        if error is not None
        else "no error was passed to the callback; see the task's log"
    )
    for_user = f" for IAM user {user_name}" if user_name else ""
    return f"FAILED: {dag_id} / {task_id} (run {run_id}){for_user}: {cause}"


def still_holds_message(user_name: str, holdings: Mapping[str, Any] | None) -> str:
    """What a user still holds after a failure: sign-in first, then every other kind; None: the user is gone."""
    if holdings is None:
        return f"IAM user {user_name} no longer exists."
    active = [k["AccessKeyId"] for k in holdings["access_key_details"] if k["Status"] == "Active"]
    sign_in = f"console password: {'YES' if holdings['login_profile'] else 'none'}; active access keys: {len(active)}"
    rest = {kind: items for kind, items in holdings.items() if kind not in ("login_profile", "access_key_details")}
    return f"{user_name} still holds: {sign_in}; {removed_summary(rest)}."


def provisioning_message(spec: Mapping[str, Any], caller_arn: str, secret_arn: str | None) -> str:
    """'IAM user NAME created|restored by ARN', what it was given, and where its console password is."""
    lines = [f"IAM user {spec['user_name']} {spec['action']} by {caller_arn}"]
    if spec["action"] == "restored":
        lines.append(f"From snapshot: {spec['source']}")
    lines.append(
        f"Path {spec['path']}; {len(spec['tags'])} tags; boundary: {spec['permissions_boundary'] or 'none'}; "
        f"groups: {', '.join(spec['groups']) or 'none'}; "
        f"{count_phrase('managed_policies', len(spec['managed_policy_arns']))}; "
        f"{count_phrase('inline_policies', len(spec['inline_policies']))}"
    )
    if secret_arn:
        lines.append(f"Console password (reset required at first sign-in) is in Secrets Manager: {secret_arn}")
    return "\n".join(lines)


def _counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 stale user', '2 stale users'."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _stale_user_line(entry: Mapping[str, Any]) -> str:
    idle = ", ".join(CREDENTIAL_NAMES.get(c, c) for c in entry["idle_credentials"]) or "no credentials"
    line = f"• {entry['user_name']}: idle {_counted(entry['idle_days'], 'day')} ({idle})"
    if entry.get("disabled_at"):
        line += f", disabled on {entry['disabled_at']}"
    return line


def _capped(lines: list[str], limit: int, more: str) -> list[str]:
    return lines[:limit] + ([f"…and {len(lines) - limit} more{more}"] if len(lines) > limit else [])


def _credential_list(credentials: list[dict[str, Any]]) -> str:
    return ", ".join(f"{CREDENTIAL_NAMES[c['credential']]} ({_counted(c['idle_days'], 'day')})" for c in credentials)


def _unused_credential_lines(unused: Mapping[str, Any] | None, limit: int) -> list[str]:
    """The section on unused credentials of users in use or not: each credential with its idle days."""
    if not unused or not (unused["revocable"] or unused["exempt"] or unused["not_judged"]):
        return []
    count = sum(len(entry["credentials"]) for entry in unused["revocable"])
    lines = [f"Unused credentials: {_counted(count, 'credential')} of {_counted(len(unused['revocable']), 'user')}"]
    lines += _capped(
        [f"• {entry['user_name']}: {_credential_list(entry['credentials'])}" for entry in unused["revocable"]],
        limit,
        "",
    )
    lines += [f"• exempt: {entry['user_name']}: {entry['reason']}" for entry in unused["exempt"]][:limit]
    lines += [f"• not judged: {entry['user_name']}: {entry['reason']}" for entry in unused["not_judged"]][:limit]
    return lines


def _revoked_lines(selected: list[dict[str, Any]]) -> list[str]:
    """What revoke mode did, per account: access keys deactivated and console passwords deleted."""
    by_account: dict[str, list[int]] = {}
    for entry in selected:
        counts = by_account.setdefault(entry["account"], [0, 0])
        for credential in entry["credentials"]:
            counts[credential["credential"] == "password"] += 1
    return [
        f"Revoked in account {account}: {_counted(keys, 'access key')} deactivated, "
        f"{_counted(passwords, 'console password')} deleted"
        for account, (keys, passwords) in sorted(by_account.items())
    ] + [f"Users whose unused credentials were revoked: {', '.join(e['user_name'] for e in selected)}"]


def _read_through(finding: Mapping[str, Any]) -> str:
    """How a message says how an account was read: its connection, or its name and the member role assumed."""
    if finding.get("account_id"):
        return f"{finding.get('account_name') or 'unnamed'}, role {finding['member_role_name']}"
    return finding["aws_conn_id"]


def reconciliation_message(
    plan: Mapping[str, Any],
    report_uris: Mapping[str, str],
    run_id: str,
    max_idle_days: int,
    limit: int = 50,
    approval: Mapping[str, Any] | None = None,
) -> str:
    """
    The stale-user report: per account the counts, the stale users (up to ``limit``, stalest first, with their
    idle days and idle credentials), the exempt ones with the reason, and the report file; each connection that
    could not be read, with its error; then what this run did.

    :param plan: as ``iam_lifecycle.reconciliation.plan_reconciliation`` returns it.
    :param report_uris: account id -> URI of its JSON report.
    :param approval: the answer to the run's approval (``iam_lifecycle.approval.decision``); None: none was asked.
    """
    mode = plan["mode"]
    lines = [f"Stale IAM users (unused for {_counted(max_idle_days, 'day')} or more), mode {mode}, run {run_id}"]
    for finding in plan["accounts"]:
        stale, exempt = finding["stale"], finding["exempt"]
        lines.append(
            f"Account {finding['account']} ({_read_through(finding)}): "
            f"{_counted(finding['users_scanned'], 'user')} scanned, {len(stale)} stale, {len(exempt)} exempt"
        )
        lines += _capped([_stale_user_line(entry) for entry in stale], limit, "")
        exempt_lines = [
            f"• exempt: {e['user_name']}, idle {_counted(e['idle_days'], 'day')}: {e['reason']}" for e in exempt
        ]
        lines += _capped(exempt_lines, limit, " exempt")
        lines += _unused_credential_lines(finding.get("unused_credentials"), limit)
        lines.append(f"Report: {report_uris[finding['account']]}")
    for failed in plan["failed"]:
        account = failed["account"] or "unknown"
        lines.append(f"Account {account} ({_read_through(failed)}) could not be scanned: {failed['error']}")
    acted = ", ".join(f"{c['user_name']} ({c['account']})" for c in plan["selected"])
    if mode == "report":
        lines.append("Report only: nothing was changed.")
    elif not plan["selected"]:
        lines.append(f"Nobody to {mode}: nothing was changed.")
    elif approval is not None and not approval["approved"]:
        lines.append(f"Not approved ({decision_phrase(approval)}): nothing was changed.")
    elif mode == "revoke":
        lines += _revoked_lines(plan["selected"])
    elif mode == "disable":
        lines.append(
            f"Disabled {len(plan['selected'])} (access keys deactivated, console password deleted, "
            f"tagged lifecycle:disabled-at): {acted}"
        )
    else:
        lines.append(f"Offboarded {len(plan['selected'])}, each by its own iam_user_offboarding run: {acted}")
    if approved := approved_by(approval):
        lines.append(f"Approved by {approved}.")
    if plan["over_cap"]:
        over_cap = _counted(len(plan["over_cap"]), "stale user")
        lines.append(f"Not touched, over the cap (max_users={plan['max_users']}): {over_cap}.")
    return "\n".join(lines)


def _account_list(lookups: list[dict[str, Any]]) -> str:
    return ", ".join(target_label(lookup) for lookup in lookups) or "none"


def organization_offboarding_message(
    params: Mapping[str, Any],
    run_id: str,
    plan: Mapping[str, Any],
    ended: list[dict[str, Any]],
    approval: Mapping[str, Any] | None = None,
) -> str:
    """
    The summary of ``iam_user_offboarding_organization``: where the user was deleted (in a dry run: where its plan
    was posted), where it was absent, and where the run failed: accounts where it could not be looked for, and
    offboarding runs that did not succeed (each run's own Slack message and alerts say why).

    :param plan: as ``iam_lifecycle.organization.plan_offboardings`` returns it.
    :param ended: as ``iam_lifecycle.organization.outcomes`` returns it (empty when the approval was not given).
    :param approval: the answer to the run's approval (``iam_lifecycle.approval.decision``); None: none was asked.
    """
    done = [e for e in ended if e["state"] == "success"]
    not_done = [e for e in ended if e["state"] != "success"]
    failed = len(not_done) + len(plan["failed"])
    heading = "DRY RUN: offboarding" if params.get("dry_run") else "Offboarding"
    lines = [
        f"{heading} IAM user {params['user_name']} from organization {params['organization_conn_id']} "
        f"(run {run_id}): found in {_counted(len(plan['present']), 'account')}, absent from "
        f"{_counted(len(plan['absent']), 'account')}, failed in {_counted(failed, 'account')}",
        f"{'Plan posted, nothing changed, in' if params.get('dry_run') else 'Deleted in'}: {_account_list(done)}",
        f"Absent from: {_account_list(plan['absent'])}",
    ]
    if approval is not None and not approval["approved"]:
        lines[1] = f"Not approved ({decision_phrase(approval)}): nothing was changed"
    elif approved := approved_by(approval):
        lines[1] += f" (approved by {approved})"
    lines += [
        f"FAILED in {target_label(e)}: its iam_user_offboarding run {e['run_id']} ended {e['state']}" for e in not_done
    ]
    lines += [f"FAILED in {target_label(e)}: could not look for the user: {e['error']}" for e in plan["failed"]]
    if params.get("exclude_account_ids"):
        lines.append(f"Left out: {', '.join(params['exclude_account_ids'])}")
    if params.get("reason"):
        lines.append(f"Reason: {params['reason']}")
    return "\n".join(lines)


def approval_request_message(
    dag_id: str,
    run_id: str,
    task_id: str,
    subject: str,
    link: str | None,
    approvers: list[str],
    timeout_seconds: float | None,
) -> str:
    """
    'Approval needed: SUBJECT', the run, the link to its approval page in the Airflow UI (None: ``[api] base_url``
    is not set), who may answer, and what happens without an answer.
    """
    where = link or f"task {task_id} of the run in the Airflow UI (set [api] base_url for a link)"
    who = ", ".join(approvers) or "anyone allowed to act on this DAG's runs"
    last = f"Who may answer: {who}."
    if timeout_seconds:
        last += f" With no answer within {duration(timeout_seconds)}, nothing is changed."
    return "\n".join(
        [
            f"Approval needed: {subject}",
            f"{dag_id} run {run_id} waits for a person to approve or reject it: {where}",
            last,
        ]
    )


def approval_decision_message(dag_id: str, run_id: str, subject: str, phrase: str) -> str:
    """'Not approved: SUBJECT (DAG run RUN): rejected by NAME | no answer within 24 h. Nothing was changed.'"""
    return f"Not approved: {subject} ({dag_id} run {run_id}): {phrase}. Nothing was changed."
