"""Disabling a stale user (reconciliation mode ``disable``), like AWS's RevokeUnusedIAMUserCredentials: its
snapshot first, then its active access keys made Inactive, its console password deleted, and the tag
``lifecycle:disabled-at``. The user and its keys stay, so it can be re-enabled."""

from __future__ import annotations

from typing import Any

from iam_lifecycle import offboarding, protection, snapshots
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.hooks import IamHook, account_hook, user_as_data


def prepare_disabling(target: dict[str, Any], run_id: str) -> dict[str, Any]:
    """
    Check the user again (it still exists and is not protected now, on fresh tags) and write its snapshot.

    :param target: one of ``plan_reconciliation``'s ``disable`` entries.
    :return: ``target`` with ``snapshot_uri`` and ``active_access_keys``: what disabling it needs.
    :raises AirflowFailException: the user is gone or protected now; nothing was changed.
    """
    hook = account_hook(IamHook, target, run_id)  # a member account's through its role
    found = hook.get_user(target["user_name"])
    if found is None:
        raise nothing_changed(f"IAM user {target['user_name']} no longer exists")
    user = user_as_data(found)
    if reason := protection.protection_reason(user, target["caller_arn"], protection.protected_patterns()):
        raise nothing_changed(reason)
    holdings = offboarding.list_holdings(hook, target["user_name"])
    uri = snapshots.write_user_snapshot(
        hook, user, holdings, caller_arn=target["caller_arn"], run_id=run_id, reason=f"{target['reason']}: disabled"
    )
    return {**target, "snapshot_uri": uri, "active_access_keys": offboarding.active_access_keys(holdings)}


def access_keys_kwargs(disabling: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ``DeactivateAccessKeysOperator`` for one user being disabled (for ``expand_kwargs``)."""
    return user_kwargs(disabling) | {"access_key_ids": disabling["active_access_keys"]}


def user_kwargs(disabling: dict[str, Any]) -> dict[str, Any]:
    """
    Arguments of an operator acting on one user being disabled (for ``expand_kwargs``): the user, and its account's
    connection (and, in a member account of an organization, ``account_id`` and ``member_role_name``).
    """
    account = {key: disabling.get(key) for key in ("account_id", "member_role_name")}
    return {"user_name": disabling["user_name"], "aws_conn_id": disabling["aws_conn_id"], **account}
