"""Failure callbacks: a Slack alert per failed task, naming that task and its own error.

A new ``SlackWebhookNotifier`` is made for every alert: a notifier renders its text in place, so one instance
shared through ``default_args`` would repeat the first failed task's name and error in every later alert.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.messages.texts import failure_message, still_holds_message
from iam_lifecycle.offboarding import plan as offboarding

log = logging.getLogger(__name__)

SLACK_CONN_ID = "slack_default"
#: Offboarding tasks downstream of this one may have changed the user: their alerts say what it still holds.
FIRST_CHANGE_TASK = "take_snapshot"


def post_text(context: Any, text: str) -> None:
    """Post ``text`` to Slack as it is (through ``slack_default``)."""
    # notify(), not __call__(): the text is final and must not be rendered as a template (an error may hold "{{").
    SlackWebhookNotifier(slack_webhook_conn_id=SLACK_CONN_ID, text=text).notify(context)


def _failure_text(context: Any) -> str:
    ti = context["ti"]
    task = ti.task_id
    if ti.map_index >= 0:  # a mapped task: which one, by its label (a policy ARN, a kind) when it has one
        task += f"[{getattr(ti, 'rendered_map_index', None) or ti.map_index}]"
    return failure_message(
        ti.dag_id, task, context["run_id"], context["params"].get("user_name"), context.get("exception")
    )


def alert_failure(context: Any) -> None:
    """``on_failure_callback``: the DAG, task, run, user and the error's first line, to Slack."""
    post_text(context, _failure_text(context))


def alert_offboarding_failure(context: Any) -> None:
    """
    ``on_failure_callback`` of the offboarding DAG: :func:`alert_failure`, and, once changes may have begun (a task
    downstream of the snapshot), what the user still holds, sign-in first, read from IAM now.
    """
    text = _failure_text(context)
    task = context["task"]
    if FIRST_CHANGE_TASK in task.get_flat_relative_ids(upstream=True):
        params = context["params"]
        try:
            hook = account_hook(IamHook, params, context["run_id"])
            user_name = params["user_name"]
            holdings = offboarding.list_holdings(hook, user_name) if hook.get_user(user_name) else None
            text += "\n" + still_holds_message(user_name, holdings)
        except Exception as error:  # the alert must go out even when IAM cannot be read
            log.exception("Could not read what %s still holds", params.get("user_name"))
            text += f"\nWhat the user still holds could not be read: {type(error).__name__}: {error}"
    post_text(context, text)
