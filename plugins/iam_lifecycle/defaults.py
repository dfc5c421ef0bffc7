"""What every lifecycle DAG shares: its start date, default task arguments and the AWS connection param."""

from __future__ import annotations

import inspect
from typing import Any

import pendulum
from airflow.sdk import Param

from iam_lifecycle.notifications import failure_alert
from iam_lifecycle.retries import IamRetryPolicy

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def default_args(**overrides: Any) -> dict[str, Any]:
    """Owner, retries with exponential backoff, fail-fast on permanent AWS errors, and a Slack alert on failure."""
    return {
        "owner": "platform-security",
        "retries": 2,
        "retry_delay": pendulum.duration(seconds=10),
        "retry_exponential_backoff": 2.0,
        "on_failure_callback": failure_alert(),
        "retry_policy": IamRetryPolicy(),
    } | overrides


def aws_conn_id_param(description: str) -> Param:
    """The ``aws_conn_id`` trigger param: which Airflow connection (so which AWS account) to act in."""
    return Param(
        "aws_default", type="string", pattern=r"^[A-Za-z0-9_.-]+$", title="AWS connection", description=description
    )


#: Docs for the provider operators the DAGs use as they are.
PROVIDER_TASK_DOCS = {
    "SlackWebhookOperator": "Posts the message composed upstream to Slack, through the `slack_default` connection.",
    "TriggerDagRunOperator": "Triggers a DAG run with the conf shown in the task's rendered fields, and waits for it.",
}


def _task_doc(task: Any) -> str | None:
    """The docstring of what the task runs: its TaskFlow function, or its operator class."""
    operator_class = getattr(task, "operator_class", type(task))
    name = operator_class if isinstance(operator_class, str) else operator_class.__name__
    if name in PROVIDER_TASK_DOCS:
        return PROVIDER_TASK_DOCS[name]
    kwargs = getattr(task, "partial_kwargs", {})
    callable_ = getattr(task, "python_callable", None) or kwargs.get("python_callable")
    doc = (callable_ or operator_class).__doc__
    return inspect.cleandoc(doc) if doc else None


def document_tasks(dag: Any) -> Any:
    """Give every task of ``dag`` that has no ``doc_md`` the docstring of what it runs (shown in the UI)."""
    for task in dag.tasks:
        if task.doc_md:
            continue
        if hasattr(task, "partial_kwargs"):  # a mapped task keeps its arguments there
            task.partial_kwargs["doc_md"] = _task_doc(task)
        else:
            task.doc_md = _task_doc(task)
    return dag
