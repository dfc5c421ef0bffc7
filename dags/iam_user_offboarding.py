"""
### Offboard an IAM user

Removes everything an IAM user holds, deletes the user and tells Slack who did it.

1. **get_caller_identity**, **check_user** — who this run acts as; the user must exist (else the run fails
   here, having changed nothing).
2. **list_attached_user_policies**, **list_user_dependencies** — one list call per kind of thing AWS requires
   removed before DeleteUser.
3. **detach_user_policy** — one mapped task per managed policy, labelled with the policy ARN; then the
   inline policies, groups, access keys, SSH keys, signing certificates, service-specific credentials, MFA
   devices and login profile are removed.
4. **delete_user** — a DeleteConflict re-lists and removes what is left, a few times, before failing.
5. **notify_slack** — "IAM user NAME deleted by CALLER ARN" with what was removed. Sent only when the user was
   deleted by this run.

Trigger with `{"user_name": "alice", "reason": "left the company"}`.
"""

from __future__ import annotations

import pendulum
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import Param, cross_downstream, dag, task

from iam_lifecycle.notifications import offboarding_message
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

USER = "{{ params.user_name }}"


@dag(
    dag_id="iam_user_offboarding",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "offboarding"],
    default_args={
        "owner": "platform-security",
        "retries": 2,
        "retry_delay": pendulum.duration(seconds=10),
        "retry_exponential_backoff": 2.0,
    },
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
            description="Free text shown in the Slack message, e.g. a ticket number.",
        ),
    },
)
def iam_user_offboarding():
    caller_arn = GetCallerIdentityOperator(task_id="get_caller_identity")
    user = GetUserOperator(task_id="check_user", user_name=USER)

    attached = ListAttachedUserPoliciesOperator(task_id="list_attached_user_policies", user_name=USER)
    dependencies = ListUserDependenciesOperator(task_id="list_user_dependencies", user_name=USER)
    [caller_arn, user] >> attached
    [caller_arn, user] >> dependencies

    detached = DetachUserPolicyOperator.partial(
        task_id="detach_user_policy", user_name=USER, map_index_template="{{ task.policy_arn }}"
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
    [attached, dependencies] >> detached
    cross_downstream([attached, dependencies], removals)
    login_profile = DeleteLoginProfileOperator(task_id="delete_login_profile", user_name=USER)
    removals >> login_profile
    # An empty mapping skips detach_user_policy; a user with no managed policies must still be deleted.
    deleted = DeleteUserOperator(task_id="delete_user", user_name=USER, trigger_rule="none_failed")
    [detached, login_profile] >> deleted

    @task.short_circuit
    def compose_message(params: dict, caller_arn: str, deleted: dict, attached: list, dependencies: dict) -> str:
        """The Slack text; skips the message when the user was already gone before this run deleted it."""
        if not deleted["deleted"]:
            return ""
        return offboarding_message(
            params["user_name"], caller_arn, params["reason"], {**dependencies, "managed_policies": attached}
        )

    message = compose_message(
        caller_arn=caller_arn.output,
        deleted=deleted.output,
        attached=attached.output,
        dependencies=dependencies.output,
    )

    SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)


iam_user_offboarding()
