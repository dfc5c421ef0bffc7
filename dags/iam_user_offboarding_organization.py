"""
### Offboard a person from every account of an AWS Organization, and from IAM Identity Center

Looks the user up in each account of the organization and offboards it, with `iam_user_offboarding`, in every
account where it exists; removes the person from IAM Identity Center; proves nothing is left; then one Slack
summary.

1. **list_accounts** — the organization's ACTIVE accounts (Organizations ListAccounts through
   `organization_conn_id`; under `organizational_unit_ids` if given) minus `exclude_account_ids`, in which no
   call is made.
2. **find_user** — one mapped task per account, labelled with its id and name, at most 16 at once: the role
   `member_role_name` assumed with the organization connection's credentials, STS GetCallerIdentity (it must be
   that account), one GetUser. An account that cannot be read (AssumeRole denied, the role missing…) is kept
   with its error, and the others go on.
3. **find_in_identity_center** — unless `identity_center` is false (empty: when the organization connection
   administers an instance): the Identity Center user whose UserName is `identity_center_user_name` (empty: the
   IAM user name), its account assignments in every account, its group memberships and what each group gives.
   An instance that cannot be read is kept with its error, and the accounts go on.
4. **where_it_exists** — the accounts where the user exists, where it does not, and where it could not be looked
   for, and the Identity Center user (its XCom).
5. **request_approval**, **approve_changes** — unless it is a dry run (or the user exists nowhere), a person
   approves or rejects in the UI, seeing each account where the user will be offboarded and everything removed
   from Identity Center; Slack gets the link. Only the users listed in the Variable `iam_lifecycle_approvers` may
   answer (absent: anyone allowed to act on the DAG's runs). Rejected, or no answer within `approval_timeout`
   seconds: nothing is touched, and the summary says who rejected or that nobody answered.
6. **offboard_in_account** — one `iam_user_offboarding` run per account where the user exists (its own snapshot,
   protection checks and Slack message), with `account_id`, `member_role_name`, the organization connection as
   `aws_conn_id`, `dry_run`, `reason` and the approver (those runs ask no second approval); each waited for in
   the triggerer, at most 16 at once.
7. **remove_from_identity_center** — once its own check of the approval passes: a snapshot of the user
   (attributes, memberships, assignments), then its account assignments (each deletion polled until done), its
   group memberships, the user. A deletion that FAILS stops it before the memberships and the user.
8. **verify_nothing_left** — every account of the run and the identity store read again: "Verified: no IAM
   user X in any of N accounts, no Identity Center user", or what is left.
9. **summarize**, **notify_slack** — deleted in which accounts (in a dry run: plan posted), absent from which,
   failed in which (an account where the user could not be looked for counts as failed), what was removed from
   Identity Center, and the proof.
10. **fail_on_failed_accounts** — the run fails, once Slack has been told, if anything failed or is left.

Trigger with `{"user_name": "alice", "reason": "JIRA-123", "organization_conn_id": "aws_organization"}`.
"""

from __future__ import annotations

from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import dag, get_current_context, task

from iam_lifecycle.accounts import targets
from iam_lifecycle.accounts.dag_tasks import list_accounts
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.approval.pages import organization_request
from iam_lifecycle.approval.proof import approved_offboarding_confs
from iam_lifecycle.authoring.defaults import ON_DEMAND, default_args, document_tasks
from iam_lifecycle.authoring.params import (
    approval_timeout_param,
    dry_run_param,
    identity_center_param,
    identity_center_user_name_param,
    organization_params,
    reason_param,
    refuse_unknown_conf_keys,
    user_name_param,
)
from iam_lifecycle.compat import AirflowFailException
from iam_lifecycle.identity_center import person, removal
from iam_lifecycle.messages.summaries import organization_offboarding_message
from iam_lifecycle.offboarding import organization
from iam_lifecycle.offboarding.triggered_runs import OFFBOARDING_DAG_ID, trigger_offboardings
from iam_lifecycle.operators.approval import ApprovalGateOperator

OFFBOARD_TASK_ID = "offboard_in_account"
REMOVE_TASK_ID = "remove_from_identity_center"
VERIFY_TASK_ID = "verify_nothing_left"


@dag(
    dag_id="iam_user_offboarding_organization",
    **ON_DEMAND,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "offboarding", "organization"],
    default_args=default_args(),
    params={
        "user_name": user_name_param(
            "Name of the IAM user to offboard from every account where it exists (not its ARN)."
        ),
        "reason": reason_param(
            "Free text shown in the Slack messages and kept in each snapshot, e.g. a ticket number."
        ),
        "dry_run": dry_run_param("Each account's offboarding posts its plan to Slack and changes nothing."),
        **organization_params(
            "aws_default",
            "AWS connection into the organization's management (or delegated administrator) account: it lists the "
            "accounts, and its credentials assume the member role in each.",
        ),
        "identity_center": identity_center_param(),
        "identity_center_user_name": identity_center_user_name_param(),
        "approval_timeout": approval_timeout_param(),
    },
)
def iam_user_offboarding_organization():
    @task(map_index_template="{{ account_label }}", max_active_tis_per_dagrun=targets.MAX_ACCOUNTS_AT_ONCE)
    def find_user(target: dict, params: dict, run_id: str) -> dict:
        """Whether the user exists in this account (AssumeRole, GetCallerIdentity, one GetUser); an account that
        cannot be read is returned with its error, so the others go on."""
        get_current_context()["account_label"] = targets.target_label(target)  # labels the mapped task in the UI
        return organization.find_user(target, params["user_name"], run_id)

    @task
    def find_in_identity_center(params: dict) -> dict:
        """The person's IAM Identity Center user and all it holds (or why Identity Center is not read); an
        instance that cannot be read is returned with its error, so the accounts go on."""
        refuse_unknown_conf_keys(get_current_context())
        return person.look_up(params)

    @task
    def where_it_exists(lookups: list[dict], center: dict, params: dict) -> dict:
        """The accounts where the user exists, is absent, or could not be looked for; an offboarding conf for each
        account where it exists; the Identity Center user."""
        return organization.plan_offboardings(list(lookups), params, center)

    @task(multiple_outputs=True)
    def request_approval(plan: dict, params: dict) -> dict:
        """Whether there is anything to approve (not a dry run, and the user exists somewhere; whether a person is
        asked is the approval policy's), what the approval page shows (each account where the user will be
        offboarded, where it is absent or could not be looked for, what is removed from Identity Center), and the
        users it approves."""
        return organization_request(plan, params) | {
            "targets": organization.approval_targets(plan, params["user_name"])
        }

    # none_failed: runs after an approval, or when none was asked (a dry run); a rejection skips it, and every run.
    @task(trigger_rule="none_failed")
    def accounts_to_offboard(plan: dict, approval: dict | None) -> list[dict]:
        """The conf of each iam_user_offboarding run to trigger (a mapping needs a task's own return value), once the
        approval the policy asks for is checked; each run names this one, whose approval its changing tasks check."""
        context = get_current_context()
        if context["params"]["dry_run"] or not plan["confs"]:
            return list(plan["confs"])
        return approved_offboarding_confs(context, "organization", plan["confs"])

    @task(task_id=REMOVE_TASK_ID, trigger_rule="none_failed")
    def remove_from_identity_center(plan: dict, approval: dict | None, params: dict, run_id: str) -> dict:
        """Remove the person from IAM Identity Center once this task's own check of the approval passes: snapshot,
        account assignments (polled until done), group memberships, the user. Nothing in a dry run."""
        center = plan["identity_center"]
        if params["dry_run"] or not person.holds_anything(center):
            return {"skipped": "dry run" if params["dry_run"] else "no Identity Center user to remove"}
        context = get_current_context()
        trail = approval_proof.verify_for_change(context, "organization", organization.identity_center_target(center))
        reason = params.get("reason") or ""
        return removal.remove_person(params["organization_conn_id"], center, run_id=run_id, reason=reason, trail=trail)

    # all_done: after every account's run and the removal, whatever they did; a rejection skips it (and a dry run).
    @task(task_id=VERIFY_TASK_ID, trigger_rule="all_done")
    def verify_nothing_left(accounts: list[dict], plan: dict, params: dict, run_id: str) -> dict | None:
        """Read every account of the run and the identity store again: nothing left of the person, or what is."""
        if params["dry_run"]:
            return None
        return organization.verify_nothing_left(
            accounts, params["user_name"], plan["identity_center"], params["organization_conn_id"], run_id
        )

    @task(trigger_rule="all_done")
    def summarize(plan: dict, params: dict, run_id: str) -> dict:
        """How each account's offboarding ended (read from its run), and the Slack summary; runs whatever they did."""
        context = get_current_context()
        # Read, not wired: a rejection skips every task wired right after the approval, and this one must run.
        ti, approval = context["ti"], approval_proof.recorded_answer(context)
        ended = []
        if approval is None or approval["approved"]:  # not asked, or approved; refused: no run was triggered
            run_ids = ti.xcom_pull(
                task_ids=OFFBOARD_TASK_ID, key="trigger_run_id", map_indexes=range(len(plan["confs"]))
            )
            ended = organization.outcomes(plan, run_ids or [], lambda rid: ti.get_dagrun_state(OFFBOARDING_DAG_ID, rid))
        removed, verified = ti.xcom_pull(task_ids=REMOVE_TASK_ID), ti.xcom_pull(task_ids=VERIFY_TASK_ID)
        return {
            "text": organization_offboarding_message(
                params,
                run_id,
                plan,
                ended,
                approval=approval,
                requested_by=approval_proof.requester(context["dag_run"]),
                removed=removed,
                verified=verified,
            ),
            "failed": organization.failed_reason(plan, ended, removed, verified),
        }

    @task
    def fail_on_failed_accounts(summary: dict) -> None:
        """Fail the run, once Slack has been told, when the user could not be looked for or offboarded somewhere,
        Identity Center could not be read or its removal stopped, or something is left."""
        if summary["failed"]:
            raise AirflowFailException(summary["failed"])

    accounts = list_accounts()
    plan = where_it_exists(find_user.expand(target=accounts), find_in_identity_center())
    request = request_approval(plan)
    approval = ApprovalGateOperator.for_request("organization", request)
    offboarded = trigger_offboardings(OFFBOARD_TASK_ID, accounts_to_offboard(plan, approval.output))
    removed = remove_from_identity_center(plan, approval.output)
    verified = verify_nothing_left(accounts, plan)
    approval >> verified  # a rejection skips the proof: nothing was changed
    [offboarded, removed] >> verified
    summary = summarize(plan)
    verified >> summary
    notified = SlackWebhookOperator(
        task_id="notify_slack", slack_webhook_conn_id="slack_default", message=summary["text"]
    )
    notified >> fail_on_failed_accounts(summary)


document_tasks(iam_user_offboarding_organization())
