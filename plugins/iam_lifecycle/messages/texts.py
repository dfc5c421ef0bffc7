"""The text of the Slack messages the lifecycle DAGs send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_lifecycle.approval.answers import duration
from iam_lifecycle.holdings import CONTAINMENT_POLICY, INLINE_POLICIES, KINDS, LOGIN_PROFILE, MANAGED_POLICIES
from iam_lifecycle.messages.wording import quoted
from iam_lifecycle.offboarding.plan import active_access_keys


def removed_summary(held: Mapping[str, list | bool]) -> str:
    """'12 managed policies, 2 inline policies, …' for the kinds the user held, or 'nothing'."""
    phrases = [kind.counted(kind.count(held[kind.name])) for kind in KINDS if held.get(kind.name)]
    return ", ".join(phrases) or "nothing"


def removal_outcomes(
    login_profile: Mapping[str, list[str]] | None,
    detached: list[Mapping[str, list[str]]],
    kinds: list[Mapping[str, Any]],
    removed: list[Mapping[str, list[str]]],
) -> dict[str, dict[str, list[str]]]:
    """
    What the offboarding's removal tasks did, by kind: ``{"removed": [...], "already_gone": [...]}`` each.

    :param login_profile: ``delete_login_profile``'s return value.
    :param detached: ``detach_user_policy``'s, one per mapped task.
    :param kinds: the mapping of ``remove_user_items`` (``{"kind", "items"}`` each), in map order.
    :param removed: ``remove_user_items``'s return values, in the same order.
    """
    outcomes: dict[str, dict[str, list[str]]] = {}

    def add(kind: str, outcome: Mapping[str, list[str]] | None) -> None:
        tally = outcomes.setdefault(kind, {"removed": [], "already_gone": []})
        for key in tally:
            tally[key].extend((outcome or {}).get(key, []))

    add(LOGIN_PROFILE.name, login_profile)
    for outcome in detached:
        add(MANAGED_POLICIES.name, outcome)
    for mapping, outcome in zip(kinds, removed, strict=True):
        add(mapping["kind"], outcome)
    return outcomes


def _tally(removals: Mapping[str, Mapping[str, list[str]]], key: str) -> dict[str, list[str]]:
    return {kind: list(outcome[key]) for kind, outcome in removals.items() if outcome.get(key)}


def offboarding_message(
    user_name: str,
    caller_arn: str,
    reason: str | None,
    plan: Mapping[str, list | bool],
    snapshot: Mapping[str, Any],
    outcome: Mapping[str, Any],
    approved_by: str | None = None,
    removals: Mapping[str, Mapping[str, list[str]]] | None = None,
    requested_by: str | None = None,
) -> str:
    """
    What an offboarding run did: 'IAM user NAME deleted by ARN, requested by USER' (', approved by USERS' when
    people approved it),
    or that someone else deleted it first; what this run removed, what was already gone when it came to remove it,
    what a DeleteConflict found added during the run (and every addendum that recorded it), why, and the
    snapshot(s).

    :param plan: what the run planned to remove; counted as removed only when ``removals`` is not given.
    :param snapshot: ``uri`` of this run's snapshot and ``earlier``: those of earlier attempts, oldest first.
    :param outcome: as ``iam_lifecycle.offboarding.user_deletion.delete_user`` returns it (every addendum of the run).
    :param approved_by: who approved the run (or the run that started it), if anyone.
    :param requested_by: the Airflow user who triggered the run (or the run that started it), or "the schedule".
    :param removals: what the removal tasks did, by kind (:func:`removal_outcomes`).
    """
    removed = plan if removals is None else _tally(removals, "removed")
    gone = {} if removals is None else _tally(removals, "already_gone")
    if not plan.get(LOGIN_PROFILE.name):
        gone.pop(LOGIN_PROFILE.name, None)  # DeleteLoginProfile is called whatever the listing said: none is no news
    if outcome["gone_before"]:
        return (
            f"IAM user {user_name} was already deleted when this run ({caller_arn}) came to delete it; "
            f"this run removed {removed_summary(removed)} before that. Snapshot: {snapshot['uri']}"
        )
    deleted = f"IAM user {user_name} deleted by {caller_arn}"
    if requested_by:
        deleted += f", requested by {quoted(requested_by)}"
    if approved_by:
        deleted += f", approved by {quoted(approved_by)}"
    if outcome["confirmed_by_retry"]:
        deleted += " (DeleteUser's answer was lost; its retry found the user gone)"
    if outcome.get("sent_by_earlier_try"):
        deleted += " (an earlier try of this task sent DeleteUser and got no refusal; this try found the user gone)"
    lines = [deleted, f"Removed: {removed_summary(removed)}"]
    if gone:
        lines.append(f"Already gone when this run came to remove them: {removed_summary(gone)}")
    if outcome["leftovers"]:
        lines.append(
            f"Also removed, added during the run: {removed_summary(outcome['leftovers'])} "
            f"(recorded in {', '.join(outcome['addenda'])})"
        )
    if reason:
        lines.append(f"Reason: {quoted(reason)}")
    lines.append(f"Snapshot: {snapshot['uri']}")
    if snapshot["earlier"]:
        lines.append(
            f"Earlier snapshots of this user (same UserId), from attempts that changed it before: "
            f"{', '.join(snapshot['earlier'])}. Restore from {snapshot['earlier'][0]} to get the user back as it was."
        )
    return "\n".join(lines)


def containment_line(user_name: str) -> str:
    """What the offboarding does first, for the dry run and the approval page."""
    return (
        f"First, before any removal: an inline policy {CONTAINMENT_POLICY} denying IAM user {user_name} every "
        "action, with every credential it has or gets, kept until just before DeleteUser."
    )


def dry_run_message(user_name: str, caller_arn: str, plan: Mapping[str, list | bool], reason: str | None = "") -> str:
    """The plan of a dry run: every item a real run would remove, by kind, and the reason when one was given."""
    lines = [f"DRY RUN: offboarding IAM user {user_name} as {caller_arn} would remove:"]
    lines += [f"- {kind.label}: {kind.shown(plan[kind.name])}" for kind in KINDS]
    lines.append(containment_line(user_name))
    if reason:
        lines.append(f"Reason: {quoted(reason)}")
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
    active = len(active_access_keys(holdings))
    password = "YES" if holdings[LOGIN_PROFILE.name] else "none"
    sign_in = f"console password: {password}; active access keys: {active}"
    rest = {kind.name: holdings[kind.name] for kind in KINDS if kind is not LOGIN_PROFILE}
    return f"{user_name} still holds: {sign_in}; {removed_summary(rest)}."


def provisioning_message(
    spec: Mapping[str, Any], caller_arn: str, secret_arn: str | None, trail: Mapping[str, Any] | None = None
) -> str:
    """
    'IAM user NAME created|restored by ARN, requested by USER, approved by USERS', what it was given, and where its
    console password is.

    :param trail: who asked for the run and who approved it (``iam_lifecycle.approval.proof.verify_for_change``).
    """
    headline = f"IAM user {spec['user_name']} {spec['action']} by {caller_arn}"
    if trail and trail.get("requested_by"):
        headline += f", requested by {quoted(trail['requested_by'])}"
    if trail and trail.get("approved_by"):
        headline += f", approved by {quoted(', '.join(trail['approved_by']))}"
    lines = [headline]
    if spec["action"] == "restored":
        lines.append(f"From snapshot: {spec['source']}")
    lines.append(
        f"Path {spec['path']}; {len(spec['tags'])} tags; boundary: {spec['permissions_boundary'] or 'none'}; "
        f"groups: {', '.join(spec['groups']) or 'none'}; "
        f"{MANAGED_POLICIES.counted(len(spec[MANAGED_POLICIES.restored_as]))}; "
        f"{INLINE_POLICIES.counted(len(spec[INLINE_POLICIES.restored_as]))}"
    )
    if secret_arn:
        lines.append(f"Console password (reset required at first sign-in) is in Secrets Manager: {secret_arn}")
    return "\n".join(lines)


#: How every approval request in Slack begins.
APPROVAL_NEEDED = "Approval needed: "


def approval_request_message(
    dag_id: str,
    run_id: str,
    task_id: str,
    subject: str,
    link: str | None,
    approvers: list[str],
    timeout_seconds: float | None,
    requested_by: str | None = None,
) -> str:
    """
    'Approval needed: SUBJECT', the run and who asked for it, the link to its approval page in the Airflow UI
    (None: ``[api] base_url`` is not set), who may answer, and what happens without an answer.
    """
    where = link or f"task {task_id} of the run in the Airflow UI (set [api] base_url for a link)"
    who = ", ".join(quoted(name) for name in approvers) or "anyone allowed to act on this DAG's runs"
    last = f"Who may answer: {who}."
    if timeout_seconds:
        last += f" With no answer within {duration(timeout_seconds)}, nothing is changed."
    asked = f", requested by {quoted(requested_by)}," if requested_by else ""
    return "\n".join(
        [
            f"{APPROVAL_NEEDED}{subject}",
            f"{dag_id} run {run_id}{asked} waits for a person to approve or reject it: {where}",
            last,
        ]
    )


def approval_answer_refused_message(dag_id: str, run_id: str, subject: str, who: str, why: str) -> str:
    """'Approval refused: SUBJECT (DAG run RUN): WHY. The run still waits for an approver.'"""
    return f"Approval refused: {subject} ({dag_id} run {run_id}): {quoted(why)}. The run still waits for an approver."


def approval_decision_message(dag_id: str, run_id: str, subject: str, phrase: str) -> str:
    """'Not approved: SUBJECT (DAG run RUN): rejected by NAME | no answer within 24 h. Nothing was changed.'"""
    return f"Not approved: {subject} ({dag_id} run {run_id}): {phrase}. Nothing was changed."
