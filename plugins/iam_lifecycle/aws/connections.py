"""Which AWS account a connection acts in: the connection must exist, and may name the account it expects.

The Amazon provider falls back on the worker's own credentials (instance role, environment) when a connection
is missing, so a typo in ``aws_conn_id`` would act in whatever account those reach. Every hook of this package
resolves its connection through :func:`aws_connection` instead, which fails before any AWS call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from iam_lifecycle.compat import AirflowFailException, AirflowNotFoundException
from iam_lifecycle.errors import nothing_changed

if TYPE_CHECKING:
    from airflow.sdk import Connection

#: The connection extra's key for the 12-digit account id the connection must reach.
ACCOUNT_ID_EXTRA = "account_id"


def aws_connection(aws_conn_id: str) -> Connection:
    """
    The Airflow connection ``aws_conn_id``.

    :raises AirflowFailException: there is no such connection (fails the task without retries).
    """
    try:
        return BaseHook.get_connection(aws_conn_id)
    except AirflowNotFoundException:
        raise nothing_changed(f"AWS connection {aws_conn_id} does not exist") from None


class AccountMismatchError(AirflowFailException):
    """A connection's credentials act in another account than its extra's ``account_id`` (fails without retries)."""

    def __init__(self, aws_conn_id: str, account: str, expected: str, reason: str | None = None) -> None:
        reason = reason or (
            f"AWS connection {aws_conn_id} reaches account {account}, but its extra says account_id {expected}"
        )
        super().__init__(*nothing_changed(reason).args)
        #: The account the credentials act in (STS's answer), for callers that report it.
        self.account = account


def check_account(aws_conn_id: str, extra: dict[str, Any], account: str) -> None:
    """
    Fail when the connection's extra names an ``account_id`` other than ``account`` (STS GetCallerIdentity's).

    :raises AccountMismatchError: the connection reaches another account than its extra says.
    """
    expected = extra.get(ACCOUNT_ID_EXTRA)
    if expected is None:
        return
    # A JSON number loses an account id's leading zeros.
    expected = f"{expected:012d}" if isinstance(expected, int) else str(expected).strip()
    if expected != account:
        raise AccountMismatchError(aws_conn_id, account, expected)


def check_member_account(aws_conn_id: str | None, role_arn: str, account_id: str, account: str) -> None:
    """
    Fail when the member role ``role_arn``, assumed with ``aws_conn_id``, acts in ``account`` (STS
    GetCallerIdentity's) rather than in ``account_id``, the member account it was assumed for.

    :raises AccountMismatchError: another account.
    """
    if account != account_id:
        reason = (
            f"role {role_arn} assumed with AWS connection {aws_conn_id} acts in account {account}, not {account_id}"
        )
        raise AccountMismatchError(str(aws_conn_id), account, account_id, reason)
