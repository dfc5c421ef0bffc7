"""Revoking credentials without deleting the user: reconciliation modes ``revoke`` and ``disable``.

- ``revoke``, credential by credential, like AWS's ``AWSConfigRemediation-RevokeUnusedIAMUserCredentials``: each
  active access key unused for ``max_idle_days`` or more is made Inactive (it stays, and can be made Active again;
  an inactive key is never touched again), and a console password unused that long is deleted, whoever holds
  them. Credentials in use are never touched. What is unused comes from the credential report
  (:func:`iam_lifecycle.staleness.unused_credentials`), with no call per user.
- ``disable``, user by user: a stale user's every active key is made Inactive, its console password deleted, and
  it is tagged ``lifecycle:disabled-at``.

Either way only the users acted on are read again (still there, not protected now), snapshotted before any
change (:func:`prepare_revocation`), and changed by the operators each ``*_kwargs`` function feeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iam_lifecycle import protection, snapshots
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.hooks import IamHook, user_as_data
from iam_lifecycle.offboarding import active_access_keys, list_holdings
from iam_lifecycle.sessions import account_hook
from iam_lifecycle.staleness import PASSWORD


def unused_by_user(
    unused: dict[str, list],
    users: list[dict[str, Any]],
    caller_arn: str,
    patterns: list[str],
    reported: set[str] | None = None,
) -> dict[str, list]:
    """
    The unused credentials of one account, by user: those that may be revoked, those of exempt users (with the
    reason) and the users whose credentials are not judged.

    :param unused: :func:`iam_lifecycle.staleness.unused_credentials` of the account's report.
    :param users: ``IamHook.list_users_with_details()``: names, ARNs and tags, for protection.
    :param reported: the names of the users the credential report has rows for (a user listed but not reported
        yet is not judged); None: all of them.
    :return: ``{"revocable": [...], "exempt": [...], "not_judged": [...]}``; a revocable or exempt entry is
        ``{"user_name", "idle_days" (its stalest credential's), "credentials": [unused items]}`` (exempt also
        ``reason``), stalest first; ``not_judged`` is as ``unused_credentials`` gives it, plus the users missing
        from the listing (their tags are unknown) and from the report.
    """
    by_name = {user["UserName"]: user for user in users}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in unused["unused"]:
        grouped.setdefault(item["user_name"], []).append(item)
    revocable, exempt, not_judged = [], [], list(unused["not_judged"])
    if reported is not None:
        not_judged += [
            {"user_name": user["UserName"], "reason": "not in the credential report yet"}
            for user in users
            if user["UserName"] not in reported
        ]
    for name, credentials in grouped.items():
        user = by_name.get(name)
        if user is None:
            not_judged.append({"user_name": name, "reason": "not in the user listing, so its tags are unknown"})
            continue
        entry = {"user_name": name, "idle_days": max(c["idle_days"] for c in credentials), "credentials": credentials}
        if reason := protection.protection_reason(user, caller_arn, patterns):
            exempt.append(entry | {"reason": reason})
        else:
            revocable.append(entry)
    order = {"key": lambda entry: (-entry["idle_days"], entry["user_name"])}
    return {"revocable": sorted(revocable, **order), "exempt": sorted(exempt, **order), "not_judged": not_judged}


def _same_second(first: str, second: str) -> bool:
    return datetime.fromisoformat(first).replace(microsecond=0) == datetime.fromisoformat(second).replace(microsecond=0)


def access_key_ids(credentials: list[dict[str, Any]], access_keys: list[dict[str, str]]) -> list[str]:
    """
    The ids of the unused keys that are still active. The credential report names a key by its slot (slot 1 the
    older key, slot 2 the newer) with its creation time; ``ListAccessKeys`` gives ids and creation times. A slot
    whose key was deactivated or replaced since the report (another creation time) matches nothing, and is left
    alone.
    """
    by_age = sorted(access_keys, key=lambda key: datetime.fromisoformat(key["CreateDate"]))  # stable for ties
    ids = []
    for item in credentials:
        if item["credential"] == PASSWORD:
            continue
        slot = int(item["credential"].rsplit("_", 1)[1])
        key = by_age[slot - 1] if slot <= len(by_age) else None
        if key and key["Status"] == "Active" and _same_second(key["CreateDate"], item["created"]):
            ids.append(key["AccessKeyId"])
    return ids


def prepare_revocation(target: dict[str, Any], run_id: str) -> dict[str, Any]:
    """
    Check the user again (it still exists and is not protected now), write its snapshot, and resolve what to
    revoke: the access keys' ids, and whether the console password goes.

    :param target: one of ``plan_reconciliation``'s ``revoke`` entries: the user, its account, ``reason``,
        ``tags`` to add, ``credentials``: the unused credentials (revoke mode) or None for every credential
        (disable mode), and ``approved_by``: who approved the run (kept in the snapshot).
    :return: ``target`` with ``snapshot_uri``, ``access_key_ids`` and ``delete_password``.
    :raises AirflowFailException: the user is gone or protected now; nothing was changed.
    """
    hook = account_hook(IamHook, target, run_id)  # a member account's through its role
    found = hook.get_user(target["user_name"])
    if found is None:
        raise nothing_changed(f"IAM user {target['user_name']} no longer exists")
    user = user_as_data(found)
    if reason := protection.protection_reason(user, target["caller_arn"], protection.protected_patterns()):
        raise nothing_changed(reason)
    holdings = list_holdings(hook, target["user_name"])
    uri = snapshots.write_user_snapshot(
        hook,
        user,
        holdings,
        caller_arn=target["caller_arn"],
        run_id=run_id,
        reason=target["reason"],
        approved_by=target.get("approved_by"),
    )
    credentials = target["credentials"]
    if credentials is None:
        key_ids, password = active_access_keys(holdings), True
    else:
        key_ids = access_key_ids(credentials, holdings["access_key_details"])
        password = any(c["credential"] == PASSWORD for c in credentials)
    return {
        **target,
        "snapshot_uri": uri,
        "access_key_ids": key_ids,
        "delete_password": password and holdings["login_profile"],
    }


def user_kwargs(prepared: dict[str, Any]) -> dict[str, Any]:
    """
    Arguments of an operator acting on one user (for ``expand_kwargs``): the user, and its account's connection
    (and, in a member account of an organization, ``account_id`` and ``member_role_name``).
    """
    account = {key: prepared.get(key) for key in ("account_id", "member_role_name")}
    return {"user_name": prepared["user_name"], "aws_conn_id": prepared["aws_conn_id"], **account}


def access_keys_kwargs(prepared: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ``DeactivateAccessKeysOperator``: the keys to make Inactive."""
    return user_kwargs(prepared) | {"access_key_ids": prepared["access_key_ids"]}


def login_profile_kwargs(prepared: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ``DeleteLoginProfileOperator``: no call at all unless the password goes."""
    return user_kwargs(prepared) | {"has_login_profile": prepared["delete_password"]}


def tag_kwargs(prepared: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ``TagUserOperator``: the tags to add (``lifecycle:disabled-at`` when disabled; else none)."""
    return user_kwargs(prepared) | {"tags": prepared["tags"]}
