"""
### Create an IAM user: restore one from a snapshot, or onboard a new one from a spec

The create half of the lifecycle. Give **exactly one** of:

- `snapshot` — the URI of a snapshot written by `iam_user_offboarding` (its Slack message names it). The user
  gets back its path, tags, permissions boundary, groups, managed policies and inline policy documents.
- `user_name` with the spec params (`path`, `tags`, `permissions_boundary`, `groups`, `managed_policy_arns`,
  `inline_policies`) — a new user.

Or `identity_center_snapshot` — the URI of an IAM Identity Center snapshot written by
`iam_user_offboarding_organization` (its summary names it): the Identity Center user comes back with its
attributes, its memberships of the groups that still exist and its account assignments, through `aws_conn_id`
(the connection that administers Identity Center). It may be given alone or with one of the above.

Keys and passwords are never recreated. With `console_access`, a random password that must be changed at
first sign-in is created and kept only in AWS Secrets Manager; Slack and the logs see the secret's ARN.

1. **resolve_spec** — the user to create; bad input fails here with a one-line reason.
2. **get_caller_identity**, **check_references** — every group, managed policy and the permissions boundary
   the user needs exists; otherwise the run stops with the list of what is missing, and nothing is changed.
3. **create_user** — with path, tags and boundary in one call, plus the markers `lifecycle:created-by-run`
   (this run) and, for a restore, `lifecycle:restored-from` (the snapshot's original UserId and time). A user
   that already exists is refused, and nothing is changed, unless it carries one of those markers: then it is
   this run's own (CreateUser's answer was lost) or an unfinished restore of the same snapshot, and it is
   completed.
4. **grant** (groups, managed policies, inline policies) and **create_login_profile** — every call safe to
   repeat; an existing console password is left as it was.
5. **remove_markers** — once the user is complete; a later run for it is refused.
6. **notify_slack** — "IAM user NAME created|restored by CALLER ARN".
7. **restore_identity_center**, **notify_identity_center** — with `identity_center_snapshot`, once approved (the
   same approval): the Identity Center user, its memberships, its assignments (each creation polled until done);
   a user of that UserName that exists already is refused. Slack says what came back; a failed assignment fails
   the run after Slack (**fail_on_identity_center_failures**).
"""

from __future__ import annotations

from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import Param, dag, get_current_context, task

from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.approval.pages import identity_center_restore_request, provisioning_request
from iam_lifecycle.authoring.defaults import ON_DEMAND, RUN_ACCOUNT_ARGS, default_args, document_tasks
from iam_lifecycle.authoring.params import (
    account_id_param,
    approval_timeout_param,
    aws_conn_id_param,
    member_role_name_param,
    refuse_unknown_conf_keys,
)
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.compat import AirflowFailException, AirflowSkipException
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.identity_center import restore
from iam_lifecycle.messages.summaries import identity_center_restored_message
from iam_lifecycle.messages.texts import provisioning_message
from iam_lifecycle.operators.approval import ApprovalGateOperator
from iam_lifecycle.operators.provisioning import CreateLoginProfileOperator, CreateUserOperator, GrantUserOperator
from iam_lifecycle.operators.users import GetCallerIdentityOperator, TagUserOperator
from iam_lifecycle.patterns import IAM_NAME, schema_pattern
from iam_lifecycle.provisioning.spec import MARKER_TAGS, SPEC_KEYS, missing_references_reason
from iam_lifecycle.provisioning.spec import resolve_spec as resolve


def asks_for_an_iam_user(user_name: str | None) -> bool:
    """Whether the run creates or restores an IAM user (not only an Identity Center user)."""
    return bool(user_name)


@dag(
    dag_id="iam_user_provisioning",
    **ON_DEMAND,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "provisioning"],
    default_args=default_args(
        **RUN_ACCOUNT_ARGS,
    ),
    params={
        # The trigger form sends an emptied field as null: each optional param admits null, read as "not given".
        "snapshot": Param(
            "",
            type=["null", "string"],
            title="Snapshot to restore",
            description="URI of a snapshot (file://… or s3://…) to restore the user from. Leave empty to onboard.",
        ),
        "user_name": Param(
            "",
            type=["null", "string"],
            pattern=schema_pattern(IAM_NAME, empty=True),
            title="New user's name",
            description="Name of the user to onboard. Leave empty to restore from a snapshot.",
        ),
        "path": Param(
            "/", type=["null", "string"], title="Path", description="The new user's IAM path, e.g. /staff/ (empty: /)."
        ),
        "tags": Param(
            {},
            type=["null", "object"],
            maxProperties=48,  # IAM's 50 tags per user, less the run's 2 marker tags
            title="Tags",
            description="Tag key → value for the new user (48 at most).",
        ),
        "permissions_boundary": Param(
            "", type=["null", "string"], title="Permissions boundary", description="ARN of a managed policy, or empty."
        ),
        "groups": Param(
            [],
            type=["null", "array"],
            items={"type": "string"},
            maxItems=10,  # IAM: a user is in 10 groups at most
            title="Groups",
            description="Group names (10 at most).",
        ),
        "managed_policy_arns": Param(
            [],
            type=["null", "array"],
            items={"type": "string"},
            maxItems=20,  # IAM: 10 managed policies per user by default, 20 with a raised quota
            title="Managed policies",
            description="Policy ARNs (20 at most).",
        ),
        "inline_policies": Param(
            {},
            type=["null", "object"],
            maxProperties=20,  # IAM allows 2,048 characters for all of a user's inline policies together
            title="Inline policies",
            description="Inline policy name → policy document (2,048 characters in all, whitespace not counted).",
        ),
        "console_access": Param(
            False,
            type="boolean",
            title="Console access",
            description="Create a console password (reset at first sign-in), kept only in Secrets Manager.",
        ),
        "identity_center_snapshot": Param(
            "",
            type=["null", "string"],
            title="Identity Center snapshot to restore",
            description="URI of an IAM Identity Center snapshot (file://… or s3://…) to restore the person's "
            "Identity Center user from, through the AWS connection. Leave empty for none.",
        ),
        "aws_conn_id": aws_conn_id_param("Airflow connection of the AWS account to create the user in."),
        "account_id": account_id_param(),
        "member_role_name": member_role_name_param(),
        "approval_timeout": approval_timeout_param(),
    },
)
def iam_user_provisioning():
    @task(multiple_outputs=True)
    def resolve_spec(params: dict, run_id: str) -> dict:
        """The user to create, from the snapshot or the spec params, and this run's marker tags."""
        refuse_unknown_conf_keys(get_current_context())
        if (params.get("identity_center_snapshot") or "").strip() and not (params["snapshot"] or params["user_name"]):
            # Only an Identity Center restore: no IAM user (creates_iam_user skips the IAM tasks).
            return dict.fromkeys(("action", "source", "user_name", "console_access", "markers", *SPEC_KEYS))
        try:
            return resolve(params, run_id=run_id)
        except (ValueError, OSError) as error:
            raise nothing_changed(str(error)) from None

    @task
    def resolve_identity_center(params: dict) -> dict | None:
        """The Identity Center user to restore from `identity_center_snapshot`, or None when none is given."""
        refuse_unknown_conf_keys(get_current_context())
        uri = (params.get("identity_center_snapshot") or "").strip()
        if not uri:
            return None
        try:
            return restore.restore_plan(uri)
        except (ValueError, OSError, KeyError) as error:
            raise nothing_changed(f"identity_center_snapshot: {error}") from None

    @task(multiple_outputs=True)
    def request_approval(spec: dict, center: dict | None, params: dict) -> dict:
        """What the approval page shows: the user, the account, and every access it will be given (and the Identity
        Center user, its memberships and assignments)."""
        account = params.get("account_id")
        requests = ([provisioning_request(spec, account)] if spec["user_name"] else []) + (
            [identity_center_restore_request(center)] if center else []
        )
        return {
            "required": True,  # creating a user grants access: whether a person is asked is the policy's
            "subject": " ".join(r["subject"] for r in requests),
            "body": "\n\n".join(r["body"] for r in requests),
            "targets": [target for r in requests for target in r["targets"]],
        }

    @task
    def check_references(spec: dict, params: dict, run_id: str) -> None:
        """Refuse, before any change, when a group, managed policy or the boundary the user needs is missing (in
        the run's account: the connection's, or the member account `account_id`)."""
        if spec["user_name"] and (reason := missing_references_reason(spec, account_hook(IamHook, params, run_id))):
            raise nothing_changed(reason)

    spec = resolve_spec()
    center = resolve_identity_center()
    caller_arn = GetCallerIdentityOperator(task_id="get_caller_identity")
    checked = check_references(spec)
    caller_arn >> checked
    user_name = spec["user_name"]
    # Creating a user grants access: the approval policy's `provisioning` asks a person (default: one).
    request = request_approval(spec, center)
    checked >> request
    approved = ApprovalGateOperator.for_request(
        "provisioning",
        request,
        # A rejection skips every task after it; each of them also checks the approval itself.
        ignore_downstream_trigger_rules=True,
    )
    created = CreateUserOperator(
        task_id="create_user",
        user_name=user_name,
        path=spec["path"],
        tags=spec["tags"],
        permissions_boundary=spec["permissions_boundary"],
        markers=spec["markers"],
        # An approval the policy does not ask for is skipped, and the user is still created.
        trigger_rule="none_failed",
    )
    # No IAM user asked for (only an Identity Center restore): every IAM task after this one is skipped.
    creates_iam_user = ShortCircuitOperator(
        task_id="creates_iam_user",
        python_callable=asks_for_an_iam_user,
        op_args=[user_name],
        ignore_downstream_trigger_rules=True,
        trigger_rule="none_failed",
    )
    approved >> creates_iam_user >> created
    grants = [
        GrantUserOperator(
            task_id="grant",
            user_name=user_name,
            group_names=spec["groups"],
            policy_arns=spec["managed_policy_arns"],
            policy_documents=spec["inline_policies"],
        ),
        CreateLoginProfileOperator(
            task_id="create_login_profile", user_name=user_name, console_access=spec["console_access"]
        ),
    ]
    created >> grants
    complete = TagUserOperator(task_id="remove_markers", user_name=user_name, remove_keys=list(MARKER_TAGS))
    grants >> complete

    @task
    def compose_message(spec: dict, caller_arn: str, login: dict | None) -> str:
        """The Slack text: "IAM user NAME created|restored by CALLER", who asked and approved, and the console
        password's secret ARN."""
        trail = approval_proof.verify_for_change(get_current_context(), "provisioning", None)
        return provisioning_message(spec, caller_arn, (login or {}).get("secret_arn"), trail)

    message = compose_message(spec=spec, caller_arn=caller_arn.output, login=grants[-1].output)
    complete >> message
    SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)

    @task(trigger_rule="none_failed")
    def restore_identity_center(center: dict | None, aws_conn_id: str) -> dict | None:
        """The Identity Center user, its memberships and its assignments back, once this task's own check of the
        approval passes; nothing without `identity_center_snapshot`."""
        if center is None:
            raise AirflowSkipException("No identity_center_snapshot to restore")
        wanted = approval_proof.target(center["identity_store_id"], center["user_name"], None)
        trail = approval_proof.verify_for_change(get_current_context(), "provisioning", wanted)
        return restore.restore_person(aws_conn_id, center) | {"source": center["source"], "trail": trail}

    @task
    def fail_on_identity_center_failures(restored: dict) -> None:
        """Fail the run, once Slack has been told, when an assignment could not be restored."""
        if restored["failed"]:
            raise AirflowFailException(f"Identity Center assignments not restored: {' | '.join(restored['failed'])}")

    restored = restore_identity_center(center, aws_conn_id="{{ params.aws_conn_id }}")
    approved >> restored

    @task
    def compose_identity_center_message(restored: dict) -> str:
        """The Slack text: "IAM Identity Center user NAME restored from SNAPSHOT" and what came back."""
        return identity_center_restored_message(restored, restored["source"], restored["trail"])

    told = SlackWebhookOperator(
        task_id="notify_identity_center",
        slack_webhook_conn_id="slack_default",
        message=compose_identity_center_message(restored),
    )
    told >> fail_on_identity_center_failures(restored)


document_tasks(iam_user_provisioning())
