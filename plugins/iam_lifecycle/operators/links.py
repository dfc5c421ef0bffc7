"""Operator extra links: buttons in the task's page of the UI that open the user in the AWS console."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

from iam_lifecycle.patterns import invalid_user_name_reason

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

IAM_USER_CONSOLE_URL = "https://console.aws.amazon.com/iam/home#/users/details/{user_name}"


class IamUserConsoleLink(BaseOperatorLink):
    """
    The user a task acts on, in the AWS IAM console.

    In Airflow 3 the worker calls ``get_link`` when the task ends, with the task whose templates are rendered
    (so ``user_name`` is the run's real user name), and stores the URL in XCom under ``xcom_key``; the UI reads
    it from there. A name that is not a valid IAM user name (e.g. the task failed before rendering) gives no link.
    """

    name = "IAM user in AWS console"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        user_name = getattr(operator, "user_name", None)
        if invalid_user_name_reason(user_name):
            return ""
        # Valid IAM names use only characters a URL fragment may hold as they are.
        return IAM_USER_CONSOLE_URL.format(user_name=user_name)
