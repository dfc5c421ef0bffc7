"""The Slack summaries of the DAGs that act on many users: the stale-user reconciliation and the offboarding of a
person across an organization's accounts and IAM Identity Center (with the words for what a person holds there,
which the approval page shares). The single-user texts are :mod:`iam_lifecycle.messages.texts`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_lifecycle.accounts.targets import target_label
from iam_lifecycle.approval.answers import approved_by, decision_phrase
from iam_lifecycle.messages.wording import counted, quoted
from iam_lifecycle.reconciliation.modes import mode_named
from iam_lifecycle.reconciliation.staleness import CREDENTIAL_NAMES


def _stale_user_line(entry: Mapping[str, Any]) -> str:
    idle = ", ".join(CREDENTIAL_NAMES.get(c, c) for c in entry["idle_credentials"]) or "no credentials"
    line = f"• {entry['user_name']}: idle {counted(entry['idle_days'], 'day')} ({idle})"
    if entry.get("disabled_at"):
        line += f", disabled on {entry['disabled_at']}"
    return line


def _capped(lines: list[str], limit: int, more: str) -> list[str]:
    return lines[:limit] + ([f"…and {len(lines) - limit} more{more}"] if len(lines) > limit else [])


def _credential_list(credentials: list[dict[str, Any]]) -> str:
    return ", ".join(f"{CREDENTIAL_NAMES[c['credential']]} ({counted(c['idle_days'], 'day')})" for c in credentials)


def _unused_credential_lines(unused: Mapping[str, Any] | None, limit: int) -> list[str]:
    """The section on unused credentials of users in use or not: each credential with its idle days."""
    if not unused or not (unused["revocable"] or unused["exempt"] or unused["not_judged"]):
        return []
    count = sum(len(entry["credentials"]) for entry in unused["revocable"])
    lines = [f"Unused credentials: {counted(count, 'credential')} of {counted(len(unused['revocable']), 'user')}"]
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
        f"Revoked in account {account}: {counted(keys, 'access key')} deactivated, "
        f"{counted(passwords, 'console password')} deleted"
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
    requested_by: str | None = None,
) -> str:
    """
    The stale-user report: per account the counts, the stale users (up to ``limit``, stalest first, with their
    idle days and idle credentials), the exempt ones with the reason, and the report file; each connection that
    could not be read, with its error; then what this run did.

    :param plan: as ``iam_lifecycle.reconciliation.flow.plan_reconciliation`` returns it.
    :param report_uris: account id -> URI of its JSON report.
    :param approval: the answer to the run's approval (``approval.answers.decision``); None: none was asked.
    """
    mode = plan["mode"]
    lines = [f"Stale IAM users (unused for {counted(max_idle_days, 'day')} or more), mode {mode}, run {run_id}"]
    for finding in plan["accounts"]:
        stale, exempt = finding["stale"], finding["exempt"]
        lines.append(
            f"Account {finding['account']} ({_read_through(finding)}): "
            f"{counted(finding['users_scanned'], 'user')} scanned, {len(stale)} stale, {len(exempt)} exempt"
        )
        lines += _capped([_stale_user_line(entry) for entry in stale], limit, "")
        exempt_lines = [
            f"• exempt: {e['user_name']}, idle {counted(e['idle_days'], 'day')}: {e['reason']}" for e in exempt
        ]
        lines += _capped(exempt_lines, limit, " exempt")
        lines += _unused_credential_lines(finding.get("unused_credentials"), limit)
        lines.append(f"Report: {report_uris[finding['account']]}")
    for failed in plan["failed"]:
        account = failed["account"] or "unknown"
        lines.append(f"Account {account} ({_read_through(failed)}) could not be scanned: {failed['error']}")
    acted = ", ".join(f"{c['user_name']} ({c['account']})" for c in plan["selected"])
    behaviour = mode_named(mode)
    if not behaviour.changes:
        lines.append("Report only: nothing was changed.")
    elif not plan["selected"]:
        lines.append(f"Nobody to {mode}: nothing was changed.")
    elif approval is not None and not approval["approved"]:
        lines.append(f"Not approved ({decision_phrase(approval)}): nothing was changed.")
    elif behaviour.deletes:
        lines.append(f"Offboarded {len(plan['selected'])}, each by its own iam_user_offboarding run: {acted}")
    elif behaviour.marks_disabled:
        lines.append(
            f"Disabled {len(plan['selected'])} (denied every action, access keys deactivated, console password "
            f"deleted, tagged lifecycle:disabled-at): {acted}"
        )
    else:
        lines += _revoked_lines(plan["selected"])
    if requested_by:
        lines.append(f"Requested by {quoted(requested_by)}.")
    if approved := approved_by(approval):
        lines.append(f"Approved by {quoted(approved)}.")
    if plan["over_cap"]:
        over_cap = counted(len(plan["over_cap"]), "stale user")
        lines.append(f"Not touched, over the cap (max_users={plan['max_users']}): {over_cap}.")
    return "\n".join(lines)


def _account_list(lookups: list[dict[str, Any]]) -> str:
    return ", ".join(target_label(lookup) for lookup in lookups) or "none"


def assignments_text(assignments: list[Mapping[str, Any]]) -> str:
    """Account assignments in words: 'Admin in 111111111111, ReadOnly in 222222222222'."""
    return ", ".join(f"{a['permission_set_name']} in {a['account_id']}" for a in assignments) or "none"


def identity_center_holdings(found: Mapping[str, Any]) -> str:
    """
    What an Identity Center user holds (or what was removed), in words: its own account assignments, and each
    group membership with the access the person has through it (the group's own assignments stay).
    """
    assignments, memberships = found.get("assignments") or [], found.get("memberships") or []
    groups = ", ".join(
        f"{m['group_name']}" + (f" (which gives {assignments_text(m['access'])})" if m.get("access") else "")
        for m in memberships
    )
    return (
        f"{counted(len(assignments), 'account assignment')} ({assignments_text(assignments)}), "
        f"{counted(len(memberships), 'group membership')} ({groups or 'none'})"
    )


def identity_center_lines(
    plan: Mapping[str, Any], removed: Mapping[str, Any] | None, *, dry_run: bool, refused: bool
) -> list[str]:
    """What the organization's summary says of Identity Center: not read, absent, the plan, removed, or failed."""
    center = plan.get("identity_center")
    if not center:
        return []
    if not center.get("enabled"):
        return [f"Identity Center: not read ({center.get('skipped')})"]
    if center.get("error"):
        return [f"FAILED in Identity Center: could not be read: {center['error']}"]
    name = center["user_name"]
    if not center.get("user_id"):
        return [f"Identity Center: no user {name} in identity store {center['identity_store_id']}"]
    if dry_run:
        return [f"Identity Center, plan posted, nothing changed: user {name}: {identity_center_holdings(center)}"]
    if refused:
        return [f"Identity Center: nothing was changed (user {name}: {identity_center_holdings(center)})"]
    if not removed or "user_deleted" not in removed:
        return [f"FAILED in Identity Center: user {name} was not removed ({identity_center_holdings(center)})"]
    if removed.get("failed"):
        done = assignments_text(removed["assignments"])
        return [f"FAILED in Identity Center: user {name}: {removed['failed']} (deleted: {done})"]
    snapshot = f"; snapshot {removed['snapshot_uri']}" if removed.get("snapshot_uri") else ""
    return [f"Removed from Identity Center: user {name}, {identity_center_holdings(removed)}{snapshot}"]


def verified_line(user_name: str, verified: Mapping[str, Any] | None) -> list[str]:
    """The proof's line: nothing left in any account of the run nor in Identity Center, or what is left."""
    if not verified:
        return []
    if verified["left"]:
        return [f"NOT VERIFIED, left after the run: {'; '.join(verified['left'])}"]
    line = f"Verified: no IAM user {user_name} in any of {counted(verified['accounts'], 'account')}"
    return [line + (", no Identity Center user" if verified["identity_center"] else "")]


def organization_offboarding_message(
    params: Mapping[str, Any],
    run_id: str,
    plan: Mapping[str, Any],
    ended: list[dict[str, Any]],
    approval: Mapping[str, Any] | None = None,
    requested_by: str | None = None,
    removed: Mapping[str, Any] | None = None,
    verified: Mapping[str, Any] | None = None,
) -> str:
    """
    The summary of ``iam_user_offboarding_organization``: where the user was deleted (in a dry run: where its plan
    was posted), where it was absent, and where the run failed: accounts where it could not be looked for, and
    offboarding runs that did not succeed (each run's own Slack message and alerts say why).

    :param plan: as ``iam_lifecycle.offboarding.organization.plan_offboardings`` returns it.
    :param ended: as ``offboarding.organization.outcomes`` returns it (empty when the approval was not given).
    :param approval: the answer to the run's approval (``approval.answers.decision``); None: none was asked.
    :param removed: what the Identity Center removal returned (``identity_center.removal.remove_person``).
    :param verified: what the proof found (``offboarding.organization.verify_nothing_left``); None: not run.
    """
    done = [e for e in ended if e["state"] == "success"]
    not_done = [e for e in ended if e["state"] != "success"]
    failed = len(not_done) + len(plan["failed"])
    heading = "DRY RUN: offboarding" if params.get("dry_run") else "Offboarding"
    lines = [
        f"{heading} IAM user {params['user_name']} from organization {params['organization_conn_id']} "
        f"(run {run_id}): found in {counted(len(plan['present']), 'account')}, absent from "
        f"{counted(len(plan['absent']), 'account')}, failed in {counted(failed, 'account')}",
        f"{'Plan posted, nothing changed, in' if params.get('dry_run') else 'Deleted in'}: {_account_list(done)}",
        f"Absent from: {_account_list(plan['absent'])}",
    ]
    if approval is not None and not approval["approved"]:
        lines[1] = f"Not approved ({decision_phrase(approval)}): nothing was changed"
    elif approved := approved_by(approval):
        lines[1] += f" (approved by {quoted(approved)})"
    lines += [
        f"FAILED in {target_label(e)}: its iam_user_offboarding run {e['run_id']} ended {e['state']}" for e in not_done
    ]
    lines += [f"FAILED in {target_label(e)}: could not look for the user: {e['error']}" for e in plan["failed"]]
    refused = approval is not None and not approval["approved"]
    lines += identity_center_lines(plan, removed, dry_run=bool(params.get("dry_run")), refused=refused)
    lines += verified_line(params["user_name"], verified)
    if params.get("exclude_account_ids"):
        lines.append(f"Left out: {', '.join(params['exclude_account_ids'])}")
    if params.get("reason"):
        lines.append(f"Reason: {quoted(params['reason'])}")
    if requested_by:
        lines.append(f"Requested by {quoted(requested_by)}")
    return "\n".join(lines)


def identity_center_restored_message(outcome: Mapping[str, Any], source: str, trail: Mapping[str, Any]) -> str:
    """'IAM Identity Center user NAME restored from SNAPSHOT', who asked and approved, and what it was given back."""
    line = f"IAM Identity Center user {outcome['user_name']} restored from {source}"
    if trail.get("requested_by"):
        line += f", requested by {quoted(trail['requested_by'])}"
    if trail.get("approved_by"):
        line += f", approved by {quoted(', '.join(trail['approved_by']))}"
    groups = ", ".join(m["group_name"] for m in outcome["memberships"]) or "none"
    lines = [line, f"Groups: {groups}; account assignments: {assignments_text(outcome['assignments'])}"]
    if outcome["missing_groups"]:
        lines.append(f"Groups that no longer exist, not restored: {', '.join(outcome['missing_groups'])}")
    lines += [f"FAILED: assignment {failure}" for failure in outcome["failed"]]
    return "\n".join(lines)
