"""A person approves before a run changes IAM: whether a run asks, who may answer, what the approval page shows,
and what the answer was.

The approval task (:class:`iam_lifecycle.operators.approval.ApprovalGateOperator`) waits in the Airflow UI's
*Required actions* after the plan and before the first snapshot or change. Everything here is plain data in and
out; the operator reads the Variables and hands their values to these functions.

- Whether a run asks, and how many people, is the approval policy's (:mod:`iam_lifecycle.approval_policy`); a
  run asks only when its plan acts on someone (not in a dry run, not in mode ``report``).
- What proves an approval to the tasks that change IAM: :mod:`iam_lifecycle.approval_proof`.
- Who may answer: the Variable ``iam_lifecycle_approvers``, a JSON list of the auth manager's user ids (or
  ``{"id", "name"}`` objects); absent or empty, anyone allowed to act on the DAG's runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iam_lifecycle.reconciliation import DISABLED_AT_TAG
from iam_lifecycle.staleness import CREDENTIAL_NAMES, PASSWORD
from iam_lifecycle.targets import target_label
from iam_lifecycle.wording import counted, quoted

APPROVERS_VARIABLE = "iam_lifecycle_approvers"
#: The approval task's id in every DAG that has one.
APPROVAL_TASK_ID = "approve_changes"
#: The param ``approval_timeout``'s default, in seconds: with no answer by then, nothing is changed.
DEFAULT_TIMEOUT_SECONDS = 24 * 60 * 60
#: How many users per account the approval page lists; the report file lists them all.
BODY_LIMIT = 100
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


def approved_offboarding_confs(context: Mapping[str, Any], change: str, confs: list[dict]) -> list[dict[str, Any]]:
    """
    The confs of the ``iam_user_offboarding`` runs a run starts once its approval is checked (the policy's for
    ``change``; :func:`iam_lifecycle.approval_proof.verify_for_change` fails otherwise). When people approved, each
    conf names this run (``approval_run``), whose signed approval record the started run's changing tasks check:
    no conf value is taken as an approval or an approver's name.
    """
    from iam_lifecycle.approval_proof import APPROVAL_RUN_KEY, verify_for_change

    trail = verify_for_change(context, change, None)
    if not trail["approved_by"]:
        return [dict(conf) for conf in confs]
    parent = {"dag_id": context["dag"].dag_id, "run_id": context["run_id"]}
    return [{**conf, APPROVAL_RUN_KEY: parent} for conf in confs]


# ---- what the approval page shows ----------------------------------------------------------------------------

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
    """What a reconciliation run will do to one selected user, in words."""
    if mode == "revoke":
        parts = [
            f"{'delete' if c['credential'] == PASSWORD else 'deactivate'} "
            f"{CREDENTIAL_NAMES.get(c['credential'], c['credential'])} (idle {counted(c['idle_days'], 'day')})"
            for c in entry.get("credentials") or []
        ]
        return "; ".join(parts) or "revoke its unused credentials"
    if mode == "disable":
        tag = (entry.get("tags") or {}).get(DISABLED_AT_TAG)
        return (
            "deactivate every active access key, delete the console password, tag "
            f"`{DISABLED_AT_TAG}{'=' + tag if tag else ''}`"
        )
    if mode == "delete":
        return "offboard: remove everything it holds, then delete the user (its own iam_user_offboarding run)"
    return mode


_VERBS = {
    "revoke": "Revoke unused credentials of",
    "disable": "Disable",
    "delete": "Delete",
}


def reconciliation_request(
    plan: Mapping[str, Any], report_uris: Mapping[str, str], limit: int = BODY_LIMIT
) -> dict[str, Any]:
    """
    What the reconciliation's approval asks: ``{"required", "subject", "body"}``. Asked when the plan acts on
    anyone (any mode but ``report`` selects users; a plan with nobody to act on changes nothing and asks nobody).

    The body (Markdown): per account, each selected user with its idle days and what will be done; how many stale
    users are over the cap (``max_users``) and left alone; the accounts that could not be scanned; the reports.

    :param plan: as ``iam_lifecycle.reconciliation.plan_reconciliation`` returns it.
    :param report_uris: account id -> URI of its JSON report.
    """
    mode, selected, over_cap = plan["mode"], plan["selected"], plan["over_cap"]
    accounts: dict[str, list[Mapping[str, Any]]] = {}
    for entry in selected:
        accounts.setdefault(_account_heading(entry), []).append(entry)
    subject = (
        f"{_VERBS.get(mode, mode.capitalize())} {counted(len(selected), 'IAM user')} "
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
    return {"required": mode != "report" and bool(selected), "subject": subject, "body": "\n".join(lines)}


def organization_request(plan: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """
    What ``iam_user_offboarding_organization``'s approval asks: asked unless it is a dry run or the user exists
    nowhere. The body: each account where the user will be offboarded, and where it is absent or could not be
    looked for.

    :param plan: as ``iam_lifecycle.organization.plan_offboardings`` returns it.
    """
    user, present = params["user_name"], plan["present"]
    subject = f"Delete IAM user {user} in {counted(len(present), 'account')} of the organization?"
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
    if params.get("exclude_account_ids"):
        lines.append(f"Left out: {', '.join(params['exclude_account_ids'])}.")
    if params.get("reason"):
        lines.append(f"Reason: {quoted(params['reason'])}")
    return {"required": not params.get("dry_run") and bool(present), "subject": subject, "body": "\n".join(lines)}


def offboarding_request(
    params: Mapping[str, Any], caller_arn: str, plan: Mapping[str, list | bool], required: bool
) -> dict[str, Any]:
    """
    What ``iam_user_offboarding``'s approval asks (when ``required``): the user, the account and identity, and
    every item that will be removed, by kind.

    :param plan: as the offboarding's ``plan_offboarding`` returns it.
    """
    from iam_lifecycle.notifications import KIND_NAMES

    user = params["user_name"]
    account = params.get("account_id") or caller_arn.split(":")[4]
    lines = [
        f"**Offboard IAM user `{user}`** in account {account}, as `{caller_arn}`: remove everything below, then "
        f"delete the user. {NOTHING_UNLESS_APPROVED}",
        "",
        "| kind | what will be removed |",
        "| --- | --- |",
    ]
    for kind, (_, plural) in KIND_NAMES.items():
        items = plan[kind]
        shown = ("yes" if items else "no") if isinstance(items, bool) else ", ".join(map(str, items)) or "none"
        lines.append(f"| {'login profile' if kind == 'login_profile' else plural} | {_cell(shown)} |")
    if params.get("reason"):
        lines += ["", f"Reason: {quoted(params['reason'])}"]
    return {"required": required, "subject": f"Delete IAM user {user} in account {account}?", "body": "\n".join(lines)}


def provisioning_request(spec: Mapping[str, Any]) -> dict[str, Any]:
    """
    What ``iam_user_provisioning``'s approval asks: the user to create or restore and every access it will be
    given (it grants access, so the default policy asks one person); ``targets`` is that user.

    :param spec: as ``iam_lifecycle.provisioning.resolve_spec`` returns it.
    """
    user, verb = spec["user_name"], "Restore" if spec["action"] == "restored" else "Create"
    lines = [
        f"**{verb} IAM user `{user}`**"
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
        "subject": f"{verb} IAM user {user}?",
        "body": "\n".join(lines),
        "targets": [{"account": None, "user_name": user, "user_id": None}],
    }
