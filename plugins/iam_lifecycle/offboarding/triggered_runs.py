"""Offboarding many users, each in its own ``iam_user_offboarding`` run: the one way every DAG does it.

Each triggered run has its own snapshot, protection checks and Slack message, and shows in the UI as a run of
the offboarding DAG; the triggering task waits for it and fails if it fails.
"""

from __future__ import annotations

from typing import Any

from iam_lifecycle.compat import ExceptionRetryPolicy, RetryAction, RetryRule, TriggerDagRunOperator

OFFBOARDING_DAG_ID = "iam_user_offboarding"
#: The user's name as a run id may hold it ([scheduler] allowed_run_id_pattern's default has no @ = , and ".." is
#: refused anywhere in a run id).
_USER_IN_RUN_ID = (
    "task.conf['user_name'] | replace('@', '-at-') | replace('=', '-') | replace(',', '-') | replace('..', '.-')"
)
#: ``<triggering run>__offboard_<user>[_in_<account>]_<map index>``: Airflow's run list names whom each run
#: offboards, and the id depends only on the triggering run and the mapped instance, never on the try.
TRIGGERED_RUN_ID = (
    "{{ run_id }}__offboard_{{ " + _USER_IN_RUN_ID + " }}"
    "{% if task.conf.get('account_id') %}_in_{{ task.conf['account_id'] }}{% endif %}_{{ ti.map_index }}"
)


def trigger_offboardings(task_id: str, confs: Any, *, max_at_once: int = 16) -> Any:
    """
    A mapped task that triggers one offboarding run per conf (``user_name``, ``reason``, ``aws_conn_id``, and
    ``account_id``, ``member_role_name`` to act in a member account of an organization…) and
    waits for it, at most ``max_at_once`` at a time across runs (IAM's rate limit is account-wide).

    :param confs: an XComArg resolving to the list of confs.
    """
    return TriggerDagRunOperator.partial(
        task_id=task_id,
        trigger_dag_id=OFFBOARDING_DAG_ID,
        logical_date=None,
        # One run id per user of this run: a retry of this task (its worker lost after triggering) finds the run
        # already there and is skipped, leaving that run to finish, instead of offboarding the user a second time.
        trigger_run_id=TRIGGERED_RUN_ID,
        skip_when_already_exists=True,
        wait_for_completion=True,
        # Waiting in the triggerer, not in a worker slot: a bulk offboarding does not fill the Celery workers.
        poke_interval=2,
        deferrable=True,
        max_active_tis_per_dag=max_at_once,
        # The user, and the member account when the run acts in one (the organization's offboarding: one per account).
        map_index_template="{{ task.conf['user_name'] }}"
        "{% if task.conf.get('account_id') %} in {{ task.conf['account_id'] }}{% endif %}",
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
    ).expand(conf=confs)
