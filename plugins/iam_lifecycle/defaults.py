"""What every lifecycle DAG shares: its start date, default task arguments and the AWS connection param."""

from __future__ import annotations

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
