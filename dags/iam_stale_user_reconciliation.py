"""
### Reconcile stale IAM users

Daily: in each account of `aws_conn_ids`, find the IAM users nobody has used for `max_idle_days` days or more,
report them, and, in mode `disable` or `delete`, act on the stalest `max_users` of them.

A user is **stale** when it was created at least `max_idle_days` days ago and neither its console password nor
any of its access keys was used within them (the account's credential report; up to 4 hours old).

1. **list_connections**, **find_stale_users** (one mapped task per AWS connection) — the credential report, one
   paged user listing with tags and STS GetCallerIdentity: the same few calls for 100 or 2,000 users, none per
   user. Users protected by the Variable `iam_lifecycle_protected_users`, tagged `lifecycle:protected=true`, or
   the DAG's own identity are exempt: listed with the reason, never acted on. A connection that cannot be read
   (missing, reaching another account than its extra's `account_id`, AccessDenied…) is reported with its error
   and the other accounts carry on.
2. **plan_reconciliation** — in mode `disable` or `delete`, at most `max_users` users over all accounts, stalest
   first; the others are reported, not touched.
3. **write_reports** — the full report as JSON, per account, at `<snapshot root>/reports/<account>/<time>.json`.
4. Mode `disable` (like AWS's RevokeUnusedIAMUserCredentials): **snapshot_stale_user** (every user's snapshot,
   before any change), **deactivate_access_keys**, **delete_login_profile**, **tag_disabled**
   (`lifecycle:disabled-at=YYYY-MM-DD`; a user so tagged is not disabled again).
5. Mode `delete`: **offboard_stale_user** triggers `iam_user_offboarding` once per user (its own run, snapshot,
   protection checks and Slack message) and waits for it; an offboarding that fails fails this run.
6. **notify_slack** — per account the counts, the stale and exempt users and the report file; what was done.
7. **fail_on_account_errors** — fails the run, once Slack has been told, when a connection could not be read.

Mode `report` (the default) changes nothing. Trigger with `{"mode": "disable", "max_users": 5}`.
"""

from __future__ import annotations

import datetime

import pendulum
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import ExceptionRetryPolicy, Param, RetryAction, RetryRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle import offboarding, protection, reconciliation, snapshots
from iam_lifecycle.defaults import START_DATE, default_args, document_tasks
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.hooks import IamHook, user_as_data
from iam_lifecycle.notifications import reconciliation_message
from iam_lifecycle.operators.offboarding import DeactivateAccessKeysOperator, DeleteLoginProfileOperator
from iam_lifecycle.operators.users import TagUserOperator


def _protected_patterns() -> list[str]:
    try:
        return protection.protected_patterns()
    except ValueError as error:
        raise AirflowFailException(f"{error}; nothing was changed.") from None


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
            title="Days unused",
            description="A user none of whose credentials was used for this many days or more is stale "
            "(90: Security Hub IAM.8; 45: CIS 1.12).",
        ),
        "mode": Param(
            "report",
            type="string",
            enum=list(reconciliation.MODES),
            title="Mode",
            description="report: change nothing; disable: deactivate access keys, delete the console password and "
            "tag lifecycle:disabled-at; delete: offboard each user through iam_user_offboarding.",
        ),
        "max_users": Param(
            10,
            type="integer",
            minimum=0,
            title="Most users acted on",
            description="The most users one run may disable or delete, over all accounts, stalest first.",
        ),
        "aws_conn_ids": Param(
            ["aws_default"],
            type="array",
            items={"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"},
            minItems=1,
            title="AWS connections",
            description="One Airflow connection per AWS account to reconcile.",
        ),
    },
)
def iam_stale_user_reconciliation():
    @task
    def list_connections(params: dict) -> list[str]:
        """The AWS connections to scan, each once."""
        return list(dict.fromkeys(params["aws_conn_ids"]))

    @task(map_index_template="{{ aws_conn_id }}")
    def find_stale_users(aws_conn_id: str, params: dict) -> dict:
        """One account's stale users, the exempt ones apart; no IAM call per user. An account that cannot be read
        is returned with its error, so the others are still reported."""
        context = get_current_context()
        context["aws_conn_id"] = aws_conn_id  # labels the mapped task in the UI
        now = context["dag_run"].run_after
        return reconciliation.find_in_account(aws_conn_id, now, params["max_idle_days"], _protected_patterns())

    @task
    def plan_reconciliation(findings: list[dict], params: dict, run_id: str) -> dict:
        """Who this run acts on (see ``reconciliation.plan_reconciliation``)."""
        try:
            return reconciliation.plan_reconciliation(list(findings), params["mode"], params["max_users"], run_id)
        except ValueError as error:
            raise AirflowFailException(f"{error}; nothing was changed.") from None

    @task
    def users_to_disable(plan: dict) -> list[dict]:
        """The users to disable, each with its account's connection (empty unless mode is disable)."""
        return plan["disable"]

    @task
    def users_to_delete(plan: dict) -> list[dict]:
        """The conf of each iam_user_offboarding run to trigger (empty unless mode is delete)."""
        return plan["delete"]

    @task
    def write_reports(plan: dict, params: dict) -> dict[str, str]:
        """The full report of each account as JSON beside the snapshots; account id -> URI."""
        context = get_current_context()
        root = snapshots.storage_root()
        generated_at = datetime.datetime.now(datetime.UTC)
        uris = {}
        for finding in plan["accounts"]:
            report = reconciliation.account_report(
                plan,
                finding,
                run_id=context["run_id"],
                now=context["dag_run"].run_after,
                max_idle_days=params["max_idle_days"],
                generated_at=generated_at,
            )
            uris[finding["account"]] = reconciliation.write_report(report, root)
        return uris

    @task(map_index_template="{{ user_label }}")
    def snapshot_stale_user(target: dict) -> dict:
        """Re-check the user is not protected now and write its snapshot; what disabling it needs."""
        context = get_current_context()
        context["user_label"] = f"{target['user_name']} ({target['account']})"
        hook = IamHook(aws_conn_id=target["aws_conn_id"])
        user = hook.get_user(target["user_name"])
        if user is None:
            raise nothing_changed(f"IAM user {target['user_name']} no longer exists")
        user = user_as_data(user)
        if reason := protection.protection_reason(user, target["caller_arn"], protection.protected_patterns()):
            raise nothing_changed(reason)
        holdings = offboarding.list_holdings(hook, target["user_name"])
        uri = snapshots.write_user_snapshot(
            hook,
            user,
            holdings,
            caller_arn=target["caller_arn"],
            run_id=context["run_id"],
            reason=f"{target['reason']}: disabled",
        )
        active_keys = offboarding.active_access_keys(holdings)
        return {**target, "snapshot_uri": uri, "active_access_keys": active_keys}

    @task(trigger_rule="none_failed")
    def compose_message(plan: dict, report_uris: dict, params: dict, run_id: str) -> str:
        """The Slack text: per account the counts, stale and exempt users, the report file, what was done."""
        return reconciliation_message(plan, report_uris, run_id, params["max_idle_days"])

    findings = find_stale_users.expand(aws_conn_id=list_connections())
    plan = plan_reconciliation(findings)
    report_uris = write_reports(plan)

    # disable: every snapshot is written before the first change (the mapped tasks below wait for all of them).
    disabling = snapshot_stale_user.expand(target=users_to_disable(plan))
    report_uris >> disabling
    deactivated = DeactivateAccessKeysOperator.partial(
        task_id="deactivate_access_keys", map_index_template="{{ task.user_name }}"
    ).expand_kwargs(disabling.map(reconciliation.access_keys_kwargs))
    login_deleted = DeleteLoginProfileOperator.partial(
        task_id="delete_login_profile", map_index_template="{{ task.user_name }}"
    ).expand_kwargs(disabling.map(reconciliation.user_kwargs))
    tagged = TagUserOperator.partial(
        task_id="tag_disabled",
        tags={reconciliation.DISABLED_AT_TAG: "{{ dag_run.run_after | ds }}"},
        map_index_template="{{ task.user_name }}",
    ).expand_kwargs(disabling.map(reconciliation.user_kwargs))
    [deactivated, login_deleted] >> tagged

    # delete: the offboarding DAG, one run per user, so each has its own snapshot, checks and Slack message.
    offboarded = TriggerDagRunOperator.partial(
        task_id="offboard_stale_user",
        trigger_dag_id=reconciliation.OFFBOARDING_DAG_ID,
        logical_date=None,
        wait_for_completion=True,
        poke_interval=10,
        deferrable=False,
        max_active_tis_per_dag=4,
        map_index_template="{{ task.conf['user_name'] }}",
        # The offboarding's own tasks already retried; triggering it again would offboard the user twice.
        retry_policy=ExceptionRetryPolicy(
            rules=[
                RetryRule(
                    exception="airflow.sdk.exceptions.AirflowException",
                    match_subclasses=False,
                    action=RetryAction.FAIL,
                    reason="the triggered iam_user_offboarding run failed",
                )
            ]
        ),
    ).expand(conf=users_to_delete(plan))
    report_uris >> offboarded

    @task
    def fail_on_account_errors(plan: dict) -> None:
        """Fail the run when an account could not be read: the others were reported, and Slack was told."""
        if reason := reconciliation.account_errors_reason(plan):
            raise AirflowFailException(reason)

    message = compose_message(plan, report_uris)
    [tagged, offboarded] >> message
    notified = SlackWebhookOperator(task_id="notify_slack", slack_webhook_conn_id="slack_default", message=message)
    notified >> fail_on_account_errors(plan)


document_tasks(iam_stale_user_reconciliation())
