"""
### Offboard an IAM user

Removes everything an IAM user holds, deletes the user and tells Slack who did it.

1. **get_caller_identity**, **check_user**, **check_protection** — who this run acts as; the user must exist
   and must not be protected (Variable `iam_lifecycle_protected_users`, tag `lifecycle:protected=true`, or the
   run's own identity). Otherwise the run fails here with a one-line reason, having changed nothing.
2. **list_attached_user_policies**, **list_user_dependencies**, **plan_offboarding** — one list call per kind
   of thing AWS requires removed before DeleteUser; the plan is every item by name, ARN or id.
3. A **dry run** (`dry_run: true`) posts the plan to Slack (**post_plan**) and stops: no IAM change.
4. **take_snapshot** — the user's JSON snapshot, written and read back before the first change.
5. **detach_user_policy** — one mapped task per managed policy, labelled with the policy ARN; the inline
   policies, groups, access keys, SSH keys, signing certificates, service-specific credentials, MFA devices
   and login profile are removed alongside.
6. **delete_user** — a DeleteConflict re-lists and removes what is left, a few times, before failing.
7. **notify_slack** — "IAM user NAME deleted by CALLER ARN", what was removed and the snapshot's location.
   Only when this run's DeleteUser deleted the user; if another run got there first, the message says the
   user was already deleted. Any task failing for good posts an alert instead.

Trigger with `{"user_name": "alice", "reason": "JIRA-123", "dry_run": false}`.
"""

from __future__ import annotations

from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import Param, dag, task

from iam_lifecycle.defaults import START_DATE, aws_conn_id_param, default_args, document_tasks
from iam_lifecycle.notifications import (
    already_deleted_message,
    dry_run_message,
    offboarding_message,
)
from iam_lifecycle.operators import (
    DeleteAccessKeysOperator,
    DeleteLoginProfileOperator,
    DeleteMfaDevicesOperator,
    DeleteServiceSpecificCredentialsOperator,
    DeleteSigningCertificatesOperator,
    DeleteSshPublicKeysOperator,
    DeleteUserOperator,
    DeleteUserPoliciesOperator,
    DetachUserPolicyOperator,
    GetCallerIdentityOperator,
    GetUserOperator,
    ListAttachedUserPoliciesOperator,
    ListUserDependenciesOperator,
    RemoveUserFromGroupsOperator,
)
from iam_lifecycle.params import IAM_USER_NAME_PATTERN
from iam_lifecycle.tasks import check_protection, is_dry_run, is_real_run, plan_offboarding, take_snapshot

USER = "{{ params.user_name }}"


@dag(
    dag_id="iam_user_offboarding",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "offboarding"],
    # Every AWS operator acts in the account of the connection the run was given.
    default_args=default_args(aws_conn_id="{{ params.aws_conn_id }}"),
    params={
        "user_name": Param(
            type="string",
            pattern=IAM_USER_NAME_PATTERN,
            title="IAM user name",
            description="Name of the IAM user to offboard (not its ARN).",
        ),
        "reason": Param(
            "",
            type="string",
            title="Reason",
            description="Free text shown in the Slack message and kept in the snapshot, e.g. a ticket number.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="List what would be removed and post it to Slack, changing nothing.",
        ),
        "aws_conn_id": aws_conn_id_param("Airflow connection of the AWS account the user is in."),
    },
)
def iam_user_offboarding():
    caller_arn = GetCallerIdentityOperator(task_id="get_caller_identity")
    user = GetUserOperator(task_id="check_user", user_name=USER)
    protection = check_protection(user.output, caller_arn.output)

    attached = ListAttachedUserPoliciesOperator(task_id="list_attached_user_policies", user_name=USER)
    dependencies = ListUserDependenciesOperator(task_id="list_user_dependencies", user_name=USER)
    protection >> [attached, dependencies]
    plan = plan_offboarding(attached.output, dependencies.output)

    @task
    def describe_plan(params: dict, caller_arn: str, plan: dict) -> str:
        """The dry run's Slack text: every item a real run would remove."""
        return dry_run_message(params["user_name"], caller_arn, plan)

    plan_text = describe_plan(caller_arn=caller_arn.output, plan=plan)
    plan >> is_dry_run() >> plan_text
    SlackWebhookOperator(task_id="post_plan", slack_webhook_conn_id="slack_default", message=plan_text)

    snapshot = take_snapshot(
        user.output, caller_arn.output, attached.output, dependencies.output, aws_conn_id="{{ params.aws_conn_id }}"
    )
    plan >> is_real_run() >> snapshot

    detached = DetachUserPolicyOperator.partial(
        task_id="detach_user_policy",
        user_name=USER,
        map_index_template="{{ task.policy_arn }}",
        # IAM's rate limit is account-wide: cap concurrent detaches across all runs (reconciliation triggers many).
        max_active_tis_per_dag=8,
    ).expand(policy_arn=attached.output)
    removals = [
        DeleteUserPoliciesOperator(
            task_id="delete_inline_policies", user_name=USER, policy_names=dependencies.output["inline_policies"]
        ),
        RemoveUserFromGroupsOperator(
            task_id="remove_from_groups", user_name=USER, group_names=dependencies.output["groups"]
        ),
        DeleteAccessKeysOperator(
            task_id="delete_access_keys", user_name=USER, access_key_ids=dependencies.output["access_keys"]
        ),
        DeleteSshPublicKeysOperator(
            task_id="delete_ssh_public_keys",
            user_name=USER,
            ssh_public_key_ids=dependencies.output["ssh_public_keys"],
        ),
        DeleteSigningCertificatesOperator(
            task_id="delete_signing_certificates",
            user_name=USER,
            certificate_ids=dependencies.output["signing_certificates"],
        ),
        DeleteServiceSpecificCredentialsOperator(
            task_id="delete_service_specific_credentials",
            user_name=USER,
            credential_ids=dependencies.output["service_specific_credentials"],
        ),
        DeleteMfaDevicesOperator(
            task_id="delete_mfa_devices", user_name=USER, serial_numbers=dependencies.output["mfa_devices"]
        ),
    ]
    snapshot >> [detached, *removals]
    login_profile = DeleteLoginProfileOperator(
        task_id="delete_login_profile", user_name=USER, has_login_profile=dependencies.output["login_profile"]
    )
    removals >> login_profile
    # An empty mapping skips detach_user_policy; a user with no managed policies must still be deleted.
    deleted = DeleteUserOperator(task_id="delete_user", user_name=USER, trigger_rule="none_failed_min_one_success")
    [detached, login_profile] >> deleted

    @task
    def compose_message(params: dict, caller_arn: str, deleted: dict, plan: dict, snapshot_uri: str) -> str:
        """The Slack text; "deleted" only when this run's DeleteUser deleted the user."""
        if not deleted["deleted"]:
            return already_deleted_message(params["user_name"], caller_arn)
        return offboarding_message(params["user_name"], caller_arn, params["reason"], plan, snapshot_uri)

    SlackWebhookOperator(
        task_id="notify_slack",
        slack_webhook_conn_id="slack_default",
        message=compose_message(caller_arn=caller_arn.output, deleted=deleted.output, plan=plan, snapshot_uri=snapshot),
    )


document_tasks(iam_user_offboarding())
