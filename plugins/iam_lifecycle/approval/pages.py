"""What each DAG's approval page shows a person: the plan in words, as Markdown, and whom it approves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_lifecycle.accounts.targets import target_label
from iam_lifecycle.holdings import CONTAINMENT_POLICY, KINDS
from iam_lifecycle.identity_center.person import holds_anything
from iam_lifecycle.messages.summaries import assignments_text
from iam_lifecycle.messages.texts import containment_line
from iam_lifecycle.messages.wording import counted, quoted
from iam_lifecycle.reconciliation.flow import DISABLED_AT_TAG
from iam_lifecycle.reconciliation.modes import mode_named
from iam_lifecycle.reconciliation.staleness import CREDENTIAL_NAMES, PASSWORD

#: How many users per account the approval page lists; the report file lists them all.
BODY_LIMIT = 100

NOTHING_UNLESS_APPROVED = "Nothing is changed unless you approve; rejecting, or no answer in time, changes nothing."


def _cell(text: Any) -> str:
    """A Markdown table cell: a pipe would end it."""
    return str(text).replace("|", "\\|")


def _account_heading(entry: Mapping[str, Any]) -> str:
    """'123456789012 (aws_default)', or for an organization's account '123456789012 (dev, role IamLifecycleRole)'."""
    if entry.get("account_id"):
        return f"{entry['account']} ({entry.get('account_name') or 'unnamed'}, role {entry['member_role_name']})"
    return f"{entry['account']} ({entry['aws_conn_id']})"


def planned_action(mode: str, entry: Mapping[str, Any]) -> str:
    """What a reconciliation run in ``mode`` will do to one selected user, in words."""
    behaviour = mode_named(mode)
    if behaviour.deletes:
        return "offboard: remove everything it holds, then delete the user (its own iam_user_offboarding run)"
    if behaviour.marks_disabled:
        tag = (entry.get("tags") or {}).get(DISABLED_AT_TAG)
        return (
            f"deny it every action (inline policy `{CONTAINMENT_POLICY}`), deactivate every active access key, "
            f"delete the console password, tag `{DISABLED_AT_TAG}{'=' + tag if tag else ''}`"
        )
    if behaviour.revokes:
        parts = [
            f"{'delete' if c['credential'] == PASSWORD else 'deactivate'} "
            f"{CREDENTIAL_NAMES.get(c['credential'], c['credential'])} (idle {counted(c['idle_days'], 'day')})"
            for c in entry.get("credentials") or []
        ]
        return "; ".join(parts) or "revoke its unused credentials"
    return behaviour.description


def reconciliation_request(
    plan: Mapping[str, Any], report_uris: Mapping[str, str], limit: int = BODY_LIMIT
) -> dict[str, Any]:
    """
    What the reconciliation's approval asks: ``{"required", "subject", "body"}``. Asked when the plan acts on
    anyone (any mode but ``report`` selects users; a plan with nobody to act on changes nothing and asks nobody).

    The body (Markdown): per account, each selected user with its idle days and what will be done; how many stale
    users are over the cap (``max_users``) and left alone; the accounts that could not be scanned; the reports.

    :param plan: as ``iam_lifecycle.reconciliation.flow.plan_reconciliation`` returns it.
    :param report_uris: account id -> URI of its JSON report.
    """
    mode, selected, over_cap = plan["mode"], plan["selected"], plan["over_cap"]
    behaviour = mode_named(mode)
    accounts: dict[str, list[Mapping[str, Any]]] = {}
    for entry in selected:
        accounts.setdefault(_account_heading(entry), []).append(entry)
    subject = (
        f"{behaviour.verb or mode.capitalize()} {counted(len(selected), 'IAM user')} "
        f"in {counted(len(accounts), 'account')}?"
    )
    lines = [
        f"**Mode `{mode}`**: {counted(len(selected), 'user')} in {counted(len(accounts), 'account')}, "
        f"stalest first. {NOTHING_UNLESS_APPROVED}",
    ]
    for heading, entries in accounts.items():
        lines += [
            "",
            f"#### Account {_cell(heading)}",
            "",
            "| user | idle days | what will be done |",
            "| --- | ---: | --- |",
        ]
        lines += [
            f"| {_cell(e['user_name'])} | {e['idle_days']} | {_cell(planned_action(mode, e))} |"
            for e in entries[:limit]
        ]
        if len(entries) > limit:
            lines.append(f"| …and {len(entries) - limit} more (see the report) | | |")
    lines.append("")
    if over_cap:
        per_account: dict[str, int] = {}
        for entry in over_cap:
            per_account[_account_heading(entry)] = per_account.get(_account_heading(entry), 0) + 1
        where = ", ".join(f"{count} in {_cell(heading)}" for heading, count in per_account.items())
        lines.append(
            f"**Over the cap** (`max_users` = {plan['max_users']}): {counted(len(over_cap), 'more user')} "
            f"left alone ({where})."
        )
    else:
        lines.append(f"**Over the cap** (`max_users` = {plan['max_users']}): none.")
    for failed in plan["failed"]:
        lines.append(f"- Not scanned, nothing done there: {_cell(target_label(failed))}: {_cell(failed['error'])}")
    if report_uris:
        lines += ["", "Reports: " + ", ".join(f"`{uri}`" for uri in report_uris.values())]
    return {"required": behaviour.changes and bool(selected), "subject": subject, "body": "\n".join(lines)}


def _identity_center_section(center: Mapping[str, Any] | None) -> list[str]:
    """The page's part on IAM Identity Center: what will be removed from it, in AWS's order, or why nothing."""
    if not center:
        return []
    if not center.get("enabled"):
        return ["", f"IAM Identity Center: not read ({_cell(center.get('skipped'))})."]
    if center.get("error"):
        return ["", f"- IAM Identity Center could not be read, nothing done there: {_cell(center['error'])}"]
    name, store = center["user_name"], center["identity_store_id"]
    if not holds_anything(center):
        return ["", f"IAM Identity Center: no user `{_cell(name)}` in identity store {store}: nothing to remove there."]
    groups = [
        f"{_cell(m['group_name'])} (access that ends with it: {_cell(assignments_text(m['access']))}; the group's own "
        "assignments stay)"
        for m in center["memberships"]
    ]
    return [
        "",
        f"#### IAM Identity Center (identity store {store})",
        "",
        f"User `{_cell(name)}` (UserId {center['user_id']}) is removed in this order:",
        "",
        "| step | what will be removed |",
        "| --- | --- |",
        f"| 1. its account assignments, in every account | {_cell(assignments_text(center['assignments']))} |",
        f"| 2. its group memberships | {'; '.join(groups) or 'none'} |",
        f"| 3. the user | {_cell(name)} |",
    ]


def organization_request(plan: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """
    What ``iam_user_offboarding_organization``'s approval asks: asked unless it is a dry run or the user exists
    nowhere (no IAM user, no Identity Center user). The body: each account where the user will be offboarded,
    where it is absent or could not be looked for, and what will be removed from IAM Identity Center.

    :param plan: as ``iam_lifecycle.offboarding.organization.plan_offboardings`` returns it.
    """
    user, present = params["user_name"], plan["present"]
    center = plan.get("identity_center")
    in_center = holds_anything(center or {})
    also = " and its IAM Identity Center user" if in_center else ""
    subject = f"Delete IAM user {user} in {counted(len(present), 'account')} of the organization{also}?"
    if in_center and not present:
        subject = f"Delete the IAM Identity Center user {center['user_name']} (no IAM user {user} in the organization)?"
    lines = [
        f"**Offboard IAM user `{user}`** in every account of the organization (connection "
        f"`{params['organization_conn_id']}`) where it exists. {NOTHING_UNLESS_APPROVED}",
        "",
        "| account | what will be done |",
        "| --- | --- |",
    ]
    lines += [
        f"| {_cell(target_label(lookup))} | offboard: remove everything it holds, then delete the user (an "
        f"iam_user_offboarding run through role {_cell(lookup['member_role_name'])}) |"
        for lookup in present
    ]
    lines.append("")
    lines.append(f"Absent from: {', '.join(_cell(target_label(a)) for a in plan['absent']) or 'none'}.")
    for failed in plan["failed"]:
        lines.append(f"- Could not be looked for, nothing done there: {_cell(target_label(failed))}: {failed['error']}")
    lines += _identity_center_section(center)
    if params.get("exclude_account_ids"):
        lines.append(f"Left out: {', '.join(params['exclude_account_ids'])}.")
    if params.get("reason"):
        lines.append(f"Reason: {quoted(params['reason'])}")
    required = not params.get("dry_run") and (bool(present) or in_center)
    return {"required": required, "subject": subject, "body": "\n".join(lines)}


def offboarding_request(
    params: Mapping[str, Any], caller_arn: str, plan: Mapping[str, list | bool], required: bool
) -> dict[str, Any]:
    """
    What ``iam_user_offboarding``'s approval asks (when ``required``): the user, the account and identity, and
    every item that will be removed, by kind, and the deny-all policy put on the user before any removal.

    :param plan: as the offboarding's ``plan_offboarding`` returns it.
    """
    user = params["user_name"]
    account = params.get("account_id") or caller_arn.split(":")[4]
    lines = [
        f"**Offboard IAM user `{user}`** in account {account}, as `{caller_arn}`: remove everything below, then "
        f"delete the user. {NOTHING_UNLESS_APPROVED}",
        "",
        "| kind | what will be removed |",
        "| --- | --- |",
    ]
    lines += [f"| {kind.label} | {_cell(kind.shown(plan[kind.name]))} |" for kind in KINDS]
    lines += ["", containment_line(user)]
    if params.get("reason"):
        lines += ["", f"Reason: {quoted(params['reason'])}"]
    return {"required": required, "subject": f"Delete IAM user {user} in account {account}?", "body": "\n".join(lines)}


def provisioning_request(spec: Mapping[str, Any], account: str | None = None) -> dict[str, Any]:
    """
    What ``iam_user_provisioning``'s approval asks: the user to create or restore and every access it will be
    given (it grants access, so the default policy asks one person); ``targets`` is that user.

    :param spec: as ``iam_lifecycle.provisioning.spec.resolve_spec`` returns it.
    :param account: the member account the run creates it in; None: the connection's own account.
    """
    user, verb = spec["user_name"], "Restore" if spec["action"] == "restored" else "Create"
    where = f" in member account {account}" if account else ""
    lines = [
        f"**{verb} IAM user `{user}`**{where}"
        + (f" from snapshot `{quoted(spec['source'])}`" if spec["action"] == "restored" else "")
        + f". {NOTHING_UNLESS_APPROVED}",
        "",
        "| what | given |",
        "| --- | --- |",
        f"| path | {_cell(spec['path'])} |",
        f"| permissions boundary | {_cell(spec['permissions_boundary'] or 'none')} |",
        f"| groups | {_cell(', '.join(spec['groups']) or 'none')} |",
        f"| managed policies | {_cell(', '.join(spec['managed_policy_arns']) or 'none')} |",
        f"| inline policies | {_cell(', '.join(spec['inline_policies']) or 'none')} |",
        f"| console password | {'yes (reset at first sign-in)' if spec['console_access'] else 'no'} |",
        f"| tags | {_cell(', '.join(f'{k}={v}' for k, v in spec['tags'].items()) or 'none')} |",
    ]
    return {
        "subject": f"{verb} IAM user {user}{where}?",
        "body": "\n".join(lines),
        "targets": [{"account": account or None, "user_name": user, "user_id": None}],
    }


def identity_center_restore_request(plan: Mapping[str, Any]) -> dict[str, Any]:
    """
    What ``iam_user_provisioning``'s approval asks for an Identity Center restore (``identity_center_snapshot``):
    the user, its memberships and its account assignments; ``targets`` is that user in its identity store.

    :param plan: as ``iam_lifecycle.identity_center.restore.restore_plan`` returns it.
    """
    name, store = plan["user_name"], plan["identity_store_id"]
    groups = ", ".join(m["group_name"] for m in plan["memberships"]) or "none"
    lines = [
        f"**Restore IAM Identity Center user `{_cell(name)}`** in identity store {store} from snapshot "
        f"`{quoted(plan['source'])}`. {NOTHING_UNLESS_APPROVED}",
        "",
        "| what | given |",
        "| --- | --- |",
        f"| group memberships | {_cell(groups)} |",
        f"| account assignments | {_cell(assignments_text(plan['assignments']))} |",
    ]
    return {
        "subject": f"Restore IAM Identity Center user {name}?",
        "body": "\n".join(lines),
        "targets": [{"account": store, "user_name": name, "user_id": None}],
    }
