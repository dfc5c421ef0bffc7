"""
### Reconcile stale IAM users

Daily: in each account of `aws_conn_ids`, or each account of an AWS Organization (`organization_conn_id`), find
the IAM users nobody has used for `max_idle_days` days or more, and the unused credentials of every user, report
them, and, in mode `revoke`, `disable` or `delete`, act on at most `max_users` users.

A user is **stale** when it was created at least `max_idle_days` days ago and neither its console password nor
any of its access keys was used within them (the account's credential report; up to 4 hours old). A
**credential is unused** — whether or not its user is stale — when an active access key or a console password
was not used for `max_idle_days` days (never used: since its creation).

1. **list_accounts** — one per connection of `aws_conn_ids`; or, with `organization_conn_id`, the organization's
   ACTIVE accounts (under `organizational_unit_ids` if given) minus `exclude_account_ids`, each read through its
   role `member_role_name`, assumed with the organization connection's credentials.
   **find_stale_users** (one mapped task per account, labelled with its connection or its id and name, at most
   16 at once) — the credential report, one paged user listing with tags and STS GetCallerIdentity: the same few
   calls for 100 or 2,000 users, none per user. Users protected by the Variable `iam_lifecycle_protected_users`,
   tagged `lifecycle:protected=true`, or the DAG's own identity are exempt: listed with the reason, never acted
   on. An account that cannot be read (a missing connection, a role that cannot be assumed, another account
   than expected, AccessDenied…) is reported with its error and the other accounts carry on.
2. **plan_reconciliation** — in mode `revoke`, `disable` or `delete`, at most `max_users` users over all accounts,
   stalest first; the others are reported, not touched.
3. **write_reports** — the full report as JSON, per account, at `<snapshot root>/reports/<account>/<time>.json`.
   **request_approval**, **approve_changes** — when the plan acts on anyone (any mode but `report`), a person
   approves or rejects it in the UI, seeing per account each user, its idle days, what will be done, and how many
   are over the cap; Slack gets the link. Only the users listed in the Variable `iam_lifecycle_approvers` may
   answer (absent: anyone allowed to act on the DAG's runs). Rejected, or no answer within `approval_timeout`
   seconds: every change below is skipped and the report says so. Not asked: the task is skipped.
4. Mode `revoke` (like AWS's RevokeUnusedIAMUserCredentials, credential by credential): **snapshot_user** (every
   user's snapshot, before any change), **deactivate_access_keys** (the unused active keys), and
   **delete_login_profile** (an unused console password); keys and passwords in use, and users, stay. Mode
   `disable`, user by user: the same tasks take every active key and the password of each stale user, and
   **tag_disabled** tags it `lifecycle:disabled-at=YYYY-MM-DD` (a user so tagged is not disabled again).
5. Mode `delete`: **offboard_stale_user** triggers `iam_user_offboarding` once per user (its own run, snapshot,
   protection checks and Slack message) and waits for it; an offboarding that fails fails this run.
6. **notify_slack** — per account the counts, the stale and exempt users and the report file; what was done.
7. **fail_on_account_errors** — fails the run, once Slack has been told, when an account could not be read.

Mode `report` (the default) changes nothing. Trigger with `{"mode": "disable", "max_users": 5}`.
"""

from __future__ import annotations

import pendulum
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.sdk import Param, dag

from iam_lifecycle.accounts.dag_tasks import list_accounts
from iam_lifecycle.authoring.defaults import START_DATE, default_args, document_tasks
from iam_lifecycle.authoring.params import approval_timeout_param, organization_params
from iam_lifecycle.offboarding.triggered_runs import trigger_offboardings
from iam_lifecycle.operators.approval import ApprovalGateOperator
from iam_lifecycle.patterns import CONN_ID, schema_pattern
from iam_lifecycle.reconciliation.dag_tasks import (
    compose_message,
    deactivate_access_keys,
    delete_login_profile,
    fail_on_account_errors,
    find_stale_users,
    plan_reconciliation,
    request_approval,
    snapshot_user,
    tag_disabled,
    users_to_delete,
    users_to_revoke,
    write_reports,
)
from iam_lifecycle.reconciliation.modes import MODES, modes_described


@dag(
    dag_id="iam_stale_user_reconciliation",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["iam", "lifecycle", "reconciliation"],
    default_args=default_args(retry_delay=pendulum.duration(seconds=30)),
    params={
        "max_idle_days": Param(
            90,
            type="integer",
            minimum=1,
            maximum=3650,  # ten years: more is a typo, and overflows the date arithmetic
            title="Days unused",
            description="A user none of whose credentials was used for this many days or more is stale "
            "(90: Security Hub IAM.8; 45: CIS 1.12).",
        ),
        "mode": Param(
            "report",
            type="string",
            enum=list(MODES),
            title="Mode",
            description=modes_described(),
        ),
        "max_users": Param(
            10,
            type="integer",
            minimum=0,
            maximum=1000,  # one mapped task per user: below Airflow's max_map_length (1024)
            title="Most users acted on",
            description="The most users one run may disable or delete, over all accounts, stalest first.",
        ),
        "aws_conn_ids": Param(
            ["aws_default"],
            type="array",
            items={"type": "string", "pattern": schema_pattern(CONN_ID)},
            minItems=1,
            maxItems=100,
            title="AWS connections",
            description="One Airflow connection per AWS account to reconcile (or use the organization below).",
        ),
        **organization_params(
            None,
            "Optional: an AWS connection into the organization's management (or delegated administrator) account. "
            "Its ACTIVE accounts are reconciled instead of aws_conn_ids (give one or the other), each through the "
            "member role below.",
        ),
        "approval_timeout": approval_timeout_param(),
    },
)
def iam_stale_user_reconciliation():
    plan = plan_reconciliation(find_stale_users.expand(target=list_accounts()))
    report_uris = write_reports(plan)

    # A person approves the plan before the first snapshot or change; a rejection skips users_to_revoke and
    # users_to_delete, and with them everything after. Not asked (nobody to act on): skipped, the same way.
    request = request_approval(plan, report_uris)
    approval = ApprovalGateOperator.for_request("{{ params.mode }}", request)

    # revoke and disable: every snapshot is written before the first change (the tasks below wait for all of them).
    # Each change checks the user again at the moment it acts; what changed is left alone, the others go on.
    prepared = snapshot_user.expand(target=users_to_revoke(plan, approval.output))
    report_uris >> prepared
    deactivated = deactivate_access_keys.expand(prepared=prepared)
    login_deleted = delete_login_profile.expand(prepared=prepared)
    tagged = tag_disabled.expand(prepared=prepared)
    [deactivated, login_deleted] >> tagged

    # delete: the offboarding DAG, one run per user, so each has its own snapshot, checks and Slack message.
    offboarded = trigger_offboardings("offboard_stale_user", users_to_delete(plan, approval.output))
    report_uris >> offboarded

    message = compose_message(plan, report_uris)
    [tagged, offboarded] >> message
    notified = SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)
    notified >> fail_on_account_errors(plan)


document_tasks(iam_stale_user_reconciliation())
