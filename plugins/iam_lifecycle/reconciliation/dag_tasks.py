"""The TaskFlow tasks of ``iam_stale_user_reconciliation``: accounts, findings, the plan, reports, the approval
request, the revocations of modes revoke and disable, the offboarding confs of mode delete, and the Slack text.

Each is a thin wrapper: the logic is in :mod:`iam_lifecycle.reconciliation.flow`,
:mod:`iam_lifecycle.reconciliation.revocation` and :mod:`iam_lifecycle.reconciliation.reports`.
"""

from __future__ import annotations

from airflow.sdk import get_current_context, task

from iam_lifecycle import protection
from iam_lifecycle.accounts import targets
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.approval.pages import reconciliation_request
from iam_lifecycle.approval.proof import approved_offboarding_confs
from iam_lifecycle.compat import AirflowFailException
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.messages.summaries import reconciliation_message
from iam_lifecycle.reconciliation import flow as reconciliation
from iam_lifecycle.reconciliation import reports, revocation

#: The tasks whose results say what was done to each user, and what was left alone (modes revoke and disable).
REVOCATION_TASK_IDS = ["snapshot_user", "deactivate_access_keys", "delete_login_profile", "tag_disabled"]


@task(map_index_template="{{ account_label }}", max_active_tis_per_dagrun=targets.MAX_ACCOUNTS_AT_ONCE)
def find_stale_users(target: dict, params: dict) -> dict:
    """One account's stale users, the exempt ones apart; no IAM call per user. An account that cannot be read
    is returned with its error, so the others are still reported."""
    context = get_current_context()
    context["account_label"] = targets.target_label(target)  # labels the mapped task in the UI
    now = context["dag_run"].run_after
    return reconciliation.find_in_account(
        target, now, params["max_idle_days"], protection.protected_patterns(), run_id=context["run_id"]
    )


@task
def plan_reconciliation(findings: list[dict], params: dict, run_id: str) -> dict:
    """Who this run acts on: at most `max_users` over all accounts, stalest first."""
    try:
        today = get_current_context()["dag_run"].run_after.date().isoformat()
        return reconciliation.plan_reconciliation(
            list(findings), params["mode"], params["max_users"], run_id, today=today
        )
    except ValueError as error:
        raise nothing_changed(str(error)) from None


@task
def write_reports(plan: dict, params: dict) -> dict[str, str]:
    """The full report of each account as JSON beside the snapshots; account id -> URI."""
    context = get_current_context()
    return reports.write_reports(
        plan,
        run_id=context["run_id"],
        now=context["dag_run"].run_after,
        max_idle_days=params["max_idle_days"],
        requested_by=approval_proof.requester(context["dag_run"]),
    )


@task(multiple_outputs=True)
def request_approval(plan: dict, report_uris: dict) -> dict:
    """Whether there is anything to approve (the plan acts on anyone; whether a person is asked is the approval
    policy's, for the run's mode), what the approval page shows (per account each user, its idle days and what
    will be done; how many are over the cap), and the users it approves, with what the plan saw of each."""
    targets_ = [
        approval_proof.target(entry["account"], entry["user_name"], (entry.get("relied_on") or {}).get("user_id"))
        | {"relied_on": entry.get("relied_on")}
        for entry in plan["selected"]
    ]
    return reconciliation_request(plan, report_uris) | {"targets": targets_}


def _approved(target: dict) -> dict:
    """The approval the policy asks for this change of this user, checked before the task's first call (and the
    mapped task labelled with the user in the UI)."""
    context = get_current_context()
    context["user_label"] = f"{target['user_name']} ({target['account']})"
    user_id = (target.get("relied_on") or {}).get("user_id")
    wanted = approval_proof.target(target["account"], target["user_name"], user_id)
    return approval_proof.verify_for_change(context, context["params"]["mode"], wanted)


# none_failed: runs after an approval, or when the policy asks none (skipped); a rejection skips it.
@task(trigger_rule="none_failed")
def users_to_revoke(plan: dict, approval: dict) -> list[dict]:
    """The users whose credentials go, each with its account and what to revoke (modes revoke and disable)."""
    return list(plan["revoke"])


@task(map_index_template="{{ user_label }}")
def snapshot_user(target: dict, run_id: str) -> dict:
    """Check the user again (the one the plan checked, not protected now, what the plan relied on still true),
    write its snapshot and resolve what to revoke; what changed is left alone and reported."""
    trail = _approved(target)
    people = {"requested_by": trail["requested_by"], "approved_by": ", ".join(trail["approved_by"]) or None}
    return revocation.prepare_revocation(target | people, run_id)


@task(map_index_template="{{ user_label }}")
def deactivate_access_keys(prepared: dict, run_id: str) -> dict:
    """Make the unused access keys Inactive, each checked again first (not used since the plan)."""
    _approved(prepared)
    return revocation.deactivate_unused_keys(prepared, run_id)


@task(map_index_template="{{ user_label }}")
def delete_login_profile(prepared: dict, run_id: str) -> dict:
    """Delete the unused console password, checked again first (not used, nor set, since the plan)."""
    _approved(prepared)
    return revocation.delete_unused_password(prepared, run_id)


@task(map_index_template="{{ user_label }}")
def tag_disabled(prepared: dict, run_id: str) -> dict:
    """Tag a disabled user lifecycle:disabled-at (mode disable), checked again first (still stale)."""
    _approved(prepared)
    return revocation.tag_disabled(prepared, run_id)


# none_failed: runs after an approval, or when the policy asks none (skipped); a rejection skips it.
@task(trigger_rule="none_failed")
def users_to_delete(plan: dict, approval: dict) -> list[dict]:
    """The conf of each iam_user_offboarding run to trigger (empty unless mode is delete), once the approval is
    checked; each run names this one, whose approval its own changing tasks check."""
    if not plan["delete"]:
        return []
    return approved_offboarding_confs(get_current_context(), "delete", plan["delete"])


@task(trigger_rule="none_failed")
def compose_message(plan: dict, report_uris: dict, params: dict, run_id: str) -> str:
    """The Slack text: per account the counts, stale and exempt users, the report file, what was done (or that
    the approval was refused)."""
    # Read, not wired: a rejection skips every task wired right after the approval, and this one must run.
    context = get_current_context()
    ti, approval = context["ti"], approval_proof.recorded_answer(context)
    results = (
        ti.xcom_pull(task_ids=REVOCATION_TASK_IDS, map_indexes=range(len(plan["revoke"]))) if plan["revoke"] else []
    )
    done, left_alone = revocation.what_was_done(plan, list(results or []))
    requested_by = approval_proof.requester(context["dag_run"])
    text = reconciliation_message(
        done, report_uris, run_id, params["max_idle_days"], approval=approval, requested_by=requested_by
    )
    return "\n".join([text, *left_alone])


@task
def fail_on_account_errors(plan: dict) -> None:
    """Fail the run when an account could not be read: the others were reported, and Slack was told."""
    if reason := reconciliation.account_errors_reason(plan):
        raise AirflowFailException(reason)
