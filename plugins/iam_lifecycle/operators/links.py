"""Operator extra links: buttons in the task's page of the UI that open the user in the AWS console.

Where a person lands: the user's page in the IAM console; for the task that deletes the user (afterwards there
is no such page), the user's CloudTrail event history, which outlives it (IAM's events are recorded in
us-east-1). In a member account of an organization (the run's ``account_id``), the link first switches the
viewer into that account through the run's member role (the console's switch-role page), so the user opens in
its own account, not in whatever account the viewer is signed in to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from airflow.sdk import BaseOperatorLink

from iam_lifecycle.patterns import invalid_user_name_reason

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

IAM_USER_CONSOLE_URL = "https://console.aws.amazon.com/iam/home#/users/details/{user_name}"
#: IAM is global: its CloudTrail events are in us-east-1's event history, 90 days of them.
CLOUDTRAIL_USER_EVENTS_URL = (
    "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events?ResourceName={user_name}"
)
SWITCH_ROLE_URL = "https://signin.aws.amazon.com/switchrole"
#: The operators after which the user no longer exists: their link leads to its history instead.
DELETES_THE_USER = frozenset({"DeleteUserOperator"})
_ACCOUNT_ID_LENGTH = 12


def account_of(operator: Any) -> str | None:
    """The account the task acts in, when it says: its member ``account_id``, else its user's or caller's ARN."""
    account = str(getattr(operator, "account_id", None) or "")
    if account.isdigit() and len(account) == _ACCOUNT_ID_LENGTH:
        return account
    for arn in ((getattr(operator, "user", None) or {}).get("Arn"), getattr(operator, "caller_arn", None)):
        parts = str(arn or "").split(":")
        if len(parts) > 4 and parts[4].isdigit() and len(parts[4]) == _ACCOUNT_ID_LENGTH:
            return parts[4]
    return None


def console_link(user_name: str, *, deleted: bool, account: str | None, member_role: str | None) -> str:
    """The user's page (or, deleted, its CloudTrail history); in a member account, through its role."""
    target = (CLOUDTRAIL_USER_EVENTS_URL if deleted else IAM_USER_CONSOLE_URL).format(user_name=user_name)
    if not (account and member_role):
        return target
    query = {"account": account, "roleName": member_role, "displayName": f"{member_role} @ {account}"}
    return f"{SWITCH_ROLE_URL}?{urlencode(query | {'redirect_uri': target}, quote_via=quote)}"


class IamUserConsoleLink(BaseOperatorLink):
    """
    The user a task acts on, in the AWS console (see the module's docs for where it leads).

    In Airflow 3 the worker calls ``get_link`` when the task ends, with the task whose templates are rendered
    (so ``user_name`` is the run's real user name), and stores the URL in XCom under ``xcom_key``; the UI reads
    it from there. A name that is not a valid IAM user name (e.g. the task failed before rendering) gives no link.
    """

    name = "IAM user in AWS console"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        user_name = getattr(operator, "user_name", None)
        if invalid_user_name_reason(user_name):
            return ""
        member_role = None
        if getattr(operator, "account_id", None):  # only a member account's run has a role to switch to
            # On the worker, when the task ends: the plugin module that imports this one stays free of AWS.
            from iam_lifecycle.aws.sessions import DEFAULT_MEMBER_ROLE

            member_role = getattr(operator, "member_role_name", None) or DEFAULT_MEMBER_ROLE
        # Valid IAM names use only characters a URL fragment may hold as they are.
        return console_link(
            user_name,
            deleted=type(operator).__name__ in DELETES_THE_USER,
            account=account_of(operator),
            member_role=member_role,
        )
