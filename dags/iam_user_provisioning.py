"""
### Create an IAM user: restore one from a snapshot, or onboard a new one from a spec

The create half of the lifecycle. Give **exactly one** of:

- `snapshot` — the URI of a snapshot written by `iam_user_offboarding` (its Slack message names it). The user
  gets back its path, tags, permissions boundary, groups, managed policies and inline policy documents.
- `user_name` with the spec params (`path`, `tags`, `permissions_boundary`, `groups`, `managed_policy_arns`,
  `inline_policies`) — a new user.

Keys and passwords are never recreated. With `console_access`, a random password that must be changed at
first sign-in is created and kept only in AWS Secrets Manager; Slack and the logs see the secret's ARN.

1. **resolve_spec** — the user to create; bad input fails here with a one-line reason.
2. **create_user** — with path, tags and boundary in one call; a user that already exists is refused, and
   nothing is changed.
3. **add_to_groups**, **attach_policies**, **put_inline_policies**, **create_login_profile**.
4. **notify_slack** — "IAM user NAME created|restored by CALLER ARN".
"""

from __future__ import annotations

from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.defaults import START_DATE, aws_conn_id_param, default_args, document_tasks
from iam_lifecycle.notifications import provisioning_message
from iam_lifecycle.operators import (
    AddUserToGroupsOperator,
    AttachUserPoliciesOperator,
    CreateLoginProfileOperator,
    CreateUserOperator,
    GetCallerIdentityOperator,
    PutUserPoliciesOperator,
)
from iam_lifecycle.params import IAM_USER_NAME_PATTERN
from iam_lifecycle.provisioning import resolve_spec as resolve


@dag(
    dag_id="iam_user_provisioning",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "provisioning"],
    default_args=default_args(aws_conn_id="{{ params.aws_conn_id }}"),
    params={
        "snapshot": Param(
            "",
            type="string",
            title="Snapshot to restore",
            description="URI of a snapshot (file://… or s3://…) to restore the user from. Leave empty to onboard.",
        ),
        "user_name": Param(
            "",
            type="string",
            pattern=f"({IAM_USER_NAME_PATTERN})|^$",
            title="New user's name",
            description="Name of the user to onboard. Leave empty to restore from a snapshot.",
        ),
        "path": Param("/", type="string", title="Path", description="The new user's IAM path, e.g. /staff/."),
        "tags": Param({}, type="object", title="Tags", description="Tag key → value for the new user."),
        "permissions_boundary": Param(
            "", type="string", title="Permissions boundary", description="ARN of a managed policy, or empty."
        ),
        "groups": Param([], type="array", items={"type": "string"}, title="Groups", description="Group names."),
        "managed_policy_arns": Param(
            [], type="array", items={"type": "string"}, title="Managed policies", description="Policy ARNs."
        ),
        "inline_policies": Param(
            {}, type="object", title="Inline policies", description="Inline policy name → policy document."
        ),
        "console_access": Param(
            False,
            type="boolean",
            title="Console access",
            description="Create a console password (reset at first sign-in), kept only in Secrets Manager.",
        ),
        "aws_conn_id": aws_conn_id_param("Airflow connection of the AWS account to create the user in."),
    },
)
def iam_user_provisioning():
    @task(multiple_outputs=True)
    def resolve_spec(params: dict) -> dict:
        """The user to create, from the snapshot or the spec params."""
        try:
            return resolve(params)
        except (ValueError, OSError) as error:
            raise AirflowFailException(f"{error}; nothing was changed.") from None

    spec = resolve_spec()
    caller_arn = GetCallerIdentityOperator(task_id="get_caller_identity")
    user_name = spec["user_name"]
    created = CreateUserOperator(
        task_id="create_user",
        user_name=user_name,
        path=spec["path"],
        tags=spec["tags"],
        permissions_boundary=spec["permissions_boundary"],
    )
    caller_arn >> created
    grants = [
        AddUserToGroupsOperator(task_id="add_to_groups", user_name=user_name, group_names=spec["groups"]),
        AttachUserPoliciesOperator(
            task_id="attach_policies", user_name=user_name, policy_arns=spec["managed_policy_arns"]
        ),
        PutUserPoliciesOperator(
            task_id="put_inline_policies", user_name=user_name, policy_documents=spec["inline_policies"]
        ),
        CreateLoginProfileOperator(
            task_id="create_login_profile", user_name=user_name, console_access=spec["console_access"]
        ),
    ]
    created >> grants

    @task
    def compose_message(spec: dict, caller_arn: str, login: dict | None) -> str:
        """The Slack text: "IAM user NAME created|restored by CALLER", and the console password's secret ARN."""
        return provisioning_message(spec, caller_arn, (login or {}).get("secret_arn"))

    message = compose_message(spec=spec, caller_arn=caller_arn.output, login=grants[-1].output)
    grants >> message
    SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)


document_tasks(iam_user_provisioning())
