"""
### Offboard an IAM user

Removes everything an IAM user holds, deletes the user and tells Slack who did it.

1. **get_caller_identity** — who this run acts as; a connection that does not exist (or reaches another account
   than its extra's `account_id`) fails here, before any other AWS call.
2. **check_user** — the user must exist and must not be protected (Variable
   `iam_lifecycle_protected_users`, tag `lifecycle:protected=true`, or the run's own identity). Otherwise the run
   fails here with a one-line reason, having changed nothing.
3. **list_user_holdings**, **plan_offboarding** — one list call per kind of thing AWS requires removed before
   DeleteUser; the plan is every item by name, ARN or id.
4. A **dry run** (`dry_run: true`) posts the plan to Slack (**post_plan**) and stops: no IAM change.
5. **request_approval**, **approve_changes** — when the approval policy (Variable
   `iam_lifecycle_approval_policy`, change `offboarding`; default: no approval) or the param `require_approval`
   asks, the people it names approve or reject in the UI, seeing who asked and every item that will be removed;
   Slack gets the link. The person who triggered the run cannot approve it. Rejected, or no answer within
   `approval_timeout` seconds: nothing is changed, and Slack says who rejected or that nobody answered. Every task
   below checks the signed approval record itself before its first call: marking this task success, or clearing
   a later one after a rejection, changes nothing.
6. **take_snapshot** — reads the user again first (after any approval wait): another UserId (deleted and
   recreated) or a protection added meanwhile stops the run here, having changed nothing. Then the user's JSON
   snapshot, written and read back before the first change; it also finds the snapshots of earlier attempts on
   the same user (same UserId). Every later task that changes the user reads it again before its first call.
7. **contain_user** — the first change: one inline policy, `iam-lifecycle-deny-all`, denies the user every action,
   with every credential it has or gets (STS sessions already issued included). It stays until just before
   DeleteUser: whatever fails later, the user can do nothing. No snapshot records it, no restore recreates it.
   **Sign-in** next: **delete_login_profile** and **deactivate_access_keys**, as the user is when they act (a
   password or key created since the listing goes too). Nothing else is removed until they succeed, so no failure
   can leave a console password without MFA.
8. **detach_user_policy** — one mapped task per managed policy, labelled with the policy ARN; alongside,
   **remove_user_items** — one mapped task per other kind the user holds, labelled with the kind: inline
   policies, groups, access keys, SSH keys, signing certificates, service-specific credentials, MFA devices.
9. **delete_user** — reads the user again (a recreated user, another UserId, or one protected meanwhile stops
   the run), deletes the deny policy and the user; a DeleteConflict puts the deny policy back, records what is
   left in a snapshot addendum, removes it and tries again; giving up, it takes sign-in away again first.
10. **notify_slack** — "IAM user NAME deleted by CALLER ARN" (", approved by USER" when approved), what this run
   removed (and what was already gone), every addendum, and the snapshot(s). Any task failing for good posts its
   own alert instead, with what the user still holds once changes have begun.

Trigger with `{"user_name": "alice", "reason": "JIRA-123", "dry_run": false}`. With `account_id` (and
`member_role_name`, default `IamLifecycleRole`), every AWS call of the run acts in that member account of an AWS
Organization, through its role assumed with the credentials of `aws_conn_id`; `iam_user_offboarding_organization`
triggers such runs.
"""

from __future__ import annotations

from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import Param, dag

from iam_lifecycle.approval.policy import APPROVAL_POLICY_VARIABLE
from iam_lifecycle.authoring.defaults import ON_DEMAND, RUN_ACCOUNT_ARGS, default_args, document_tasks
from iam_lifecycle.authoring.params import (
    account_id_param,
    approval_timeout_param,
    aws_conn_id_param,
    dry_run_param,
    member_role_name_param,
    reason_param,
    user_name_param,
)
from iam_lifecycle.messages.alerts import alert_offboarding_failure
from iam_lifecycle.offboarding.dag_tasks import (
    compose_message,
    describe_plan,
    is_dry_run,
    is_real_run,
    plan_offboarding,
    policies_to_detach,
    removals,
    request_approval,
    take_snapshot,
)
from iam_lifecycle.operators.approval import ApprovalGateOperator
from iam_lifecycle.operators.offboarding import (
    ContainUserOperator,
    DeactivateAccessKeysOperator,
    DeleteLoginProfileOperator,
    DeleteUserOperator,
    DetachUserPolicyOperator,
    ListUserHoldingsOperator,
    RemoveUserItemsOperator,
)
from iam_lifecycle.operators.users import GetCallerIdentityOperator, GetUserOperator

USER = "{{ params.user_name }}"


@dag(
    dag_id="iam_user_offboarding",
    **ON_DEMAND,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "offboarding"],
    # Every AWS operator acts in the account of the connection the run was given, or in its member account.
    default_args=default_args(
        **RUN_ACCOUNT_ARGS,
        on_failure_callback=alert_offboarding_failure,
    ),
    params={
        "user_name": user_name_param("Name of the IAM user to offboard (not its ARN)."),
        "reason": reason_param("Free text shown in the Slack message and kept in the snapshot, e.g. a ticket number."),
        "dry_run": dry_run_param("List what would be removed and post it to Slack, changing nothing."),
        "aws_conn_id": aws_conn_id_param(
            "Airflow connection of the AWS account the user is in; with an account id below, the connection whose "
            "credentials assume the member role (the organization's)."
        ),
        "account_id": account_id_param(),
        "member_role_name": member_role_name_param(),
        "require_approval": Param(
            None,
            type=["null", "boolean"],
            title="Require approval",
            description=f"Ask a person to approve in the Airflow UI before any change, even where the approval "
            f"policy (Variable {APPROVAL_POLICY_VARIABLE}) does not. Empty or false cannot remove an approval the "
            "policy requires.",
        ),
        "approval_timeout": approval_timeout_param(),
    },
)
def iam_user_offboarding():
    caller_arn = GetCallerIdentityOperator(task_id="get_caller_identity")
    user = GetUserOperator(task_id="check_user", user_name=USER, caller_arn=caller_arn.output)

    holdings = ListUserHoldingsOperator(task_id="list_user_holdings", user_name=USER)
    user >> holdings
    plan = plan_offboarding(holdings.output)

    plan_text = describe_plan(caller_arn=caller_arn.output, plan=plan)
    plan >> is_dry_run() >> plan_text
    SlackWebhookOperator(task_id="post_plan", slack_webhook_conn_id="slack_default", message=plan_text)

    request = request_approval(caller_arn=caller_arn.output, plan=plan, user=user.output)
    plan >> is_real_run() >> request
    approved = ApprovalGateOperator.for_request(
        "offboarding",
        request,
        # A rejection skips every task after it, whatever its trigger rule (delete_user's would let it run).
        ignore_downstream_trigger_rules=True,
    )
    # none_failed: the snapshot follows an approval, or none asked (skipped); a rejection skips it, and so every change.
    snapshot = take_snapshot.override(trigger_rule="none_failed")(
        user.output, caller_arn.output, holdings.output, approval=approved.output
    )

    # Every task that changes the user reads it again first: still the checked one (same UserId), not protected.
    pinned = {"user_name": USER, "user": user.output, "caller_arn": caller_arn.output}
    # Contain first: until delete_user, the user's credentials (STS sessions included) can do nothing.
    contained = ContainUserOperator(task_id="contain_user", **pinned)
    # Sign-in goes next: until both succeed, MFA and everything else stay. Both read the user's password and keys
    # when they act, not from the listing: one may have been created since.
    login_profile = DeleteLoginProfileOperator(task_id="delete_login_profile", **pinned)
    sign_in = [login_profile, DeactivateAccessKeysOperator(task_id="deactivate_access_keys", **pinned)]
    snapshot >> contained >> sign_in

    detached = DetachUserPolicyOperator.partial(
        task_id="detach_user_policy",
        **pinned,
        map_index_template="{{ task.policy_arn }}",
        # IAM's rate limit is account-wide: cap concurrent detaches across all runs (reconciliation triggers many).
        max_active_tis_per_dag=8,
    ).expand(policy_arn=policies_to_detach(plan))
    # One mapped task per kind the user holds: a kind it does not hold costs no task at all.
    kinds_removed = removals(plan)
    removed = RemoveUserItemsOperator.partial(
        task_id="remove_user_items", **pinned, map_index_template="{{ task.kind }}"
    ).expand_kwargs(kinds_removed)
    # An empty mapping is skipped; a user holding nothing but sign-in must still be deleted: sign-in is upstream.
    deleted = DeleteUserOperator(
        task_id="delete_user",
        **pinned,
        snapshot_uri=snapshot["uri"],
        trigger_rule="none_failed_min_one_success",
    )
    for task_ in sign_in:
        task_ >> [detached, removed, deleted]
    [detached, removed] >> deleted

    message = compose_message(
        caller_arn=caller_arn.output,
        outcome=deleted.output,
        plan=plan,
        snapshot=snapshot,
        login_profile=login_profile.output,
        detached=detached.output,
        kinds=kinds_removed,
        removed=removed.output,
    )
    SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)


document_tasks(iam_user_offboarding())
