"""Revoking credentials without deleting the user: reconciliation modes ``revoke`` and ``disable``.

- ``revoke``, credential by credential, like AWS's ``AWSConfigRemediation-RevokeUnusedIAMUserCredentials``: each
  active access key unused for ``max_idle_days`` or more is made Inactive (it stays, and can be made Active again;
  an inactive key is never touched again), and a console password unused that long is deleted, whoever holds
  them. Credentials in use are never touched. What is unused comes from the credential report
  (:func:`iam_lifecycle.reconciliation.staleness.unused_credentials`), with no call per user.
- ``disable``, user by user: a stale user is first denied every action (the inline policy of
  :func:`~iam_lifecycle.offboarding.plan.contain`, kept), then its every active key is made Inactive, its console
  password deleted, and it is tagged ``lifecycle:disabled-at``.

Either way only the users acted on are read again, after the approval (:func:`prepare_revocation`: still the user
the plan checked, not protected now, and what the plan relied on still holds: :mod:`reconciliation.last_use`),
snapshotted before any change, and changed by :func:`deactivate_unused_keys`, :func:`delete_unused_password` and
:func:`tag_disabled`, each of which checks the same again at the moment it acts. What changed is left alone and
reported (:func:`what_was_done`); the other users go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iam_lifecycle import protection, snapshots
from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.holdings import ACCESS_KEYS, LOGIN_PROFILE
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.reconciliation import last_use
from iam_lifecycle.reconciliation.staleness import CREDENTIAL_NAMES, PASSWORD


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

    :param unused: :func:`iam_lifecycle.reconciliation.staleness.unused_credentials` of the account's report.
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
        entry = {
            "user_name": name,
            "idle_days": max(c["idle_days"] for c in credentials),
            "credentials": credentials,
            "relied_on": {"user_id": user.get("UserId")},  # each credential's last use is in ``credentials``
        }
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


def _slots(credentials: list[dict[str, Any]], access_keys: list[dict[str, str]]) -> list[tuple[dict, str | None]]:
    """Each unused key credential with the id of the key now in its slot, or None (deactivated or replaced since)."""
    return [
        (item, next(iter(access_key_ids([item], access_keys)), None))
        for item in credentials
        if item["credential"] != PASSWORD
    ]


def _left(credential: str | None, reason: str) -> dict[str, Any]:
    """What a task leaves alone: a credential (its report name or key id), or None for the whole user."""
    return {"credential": credential, "reason": reason}


def _user_reason(hook: IamHook, target: dict[str, Any], found: dict[str, Any] | None) -> str | None:
    """
    Why the user must be left alone now, or None: gone, another user (another UserId than the plan saw), protected
    now, or, in disable mode, no longer stale (a credential used, or a password set, since the plan).
    """
    name = target["user_name"]
    if found is None:
        return f"IAM user {name} no longer exists"
    pinned = (target.get("relied_on") or {}).get("user_id")
    if pinned and found["UserId"] != pinned:
        return (
            f"IAM user {name} is not the user the plan checked (UserId {pinned}, now {found['UserId']}): it was "
            "deleted and recreated since"
        )
    if reason := protection.protection_reason(
        user_as_data(found), target["caller_arn"], protection.protected_patterns()
    ):
        return reason
    relied = target.get("relied_on") or {}
    if target["credentials"] is None and (reason := last_use.stale_user_change(hook, found, relied)):
        return f"IAM user {name} is not stale any more: {reason}"
    return None


def prepare_revocation(target: dict[str, Any], run_id: str) -> dict[str, Any]:
    """
    Check the user again, now that the approval is given, write its snapshot, and resolve what to revoke.

    The user must still be the one the plan checked (same UserId), not protected, and, in disable mode, still
    stale; in revoke mode each credential must still be unused (:mod:`reconciliation.last_use`). What changed is
    left alone (``left_alone``, each with its one-line reason: the message and the report quote it), and the
    other users go on; nobody left to act on: no snapshot, and the change tasks make no call.

    :param target: one of ``plan_reconciliation``'s ``revoke`` entries: the user, its account, ``reason``,
        ``tags`` to add, ``credentials``: the unused credentials (revoke mode) or None for every credential
        (disable mode), ``relied_on``, and ``requested_by`` and ``approved_by``: who asked for the run and who
        approved it (kept in the snapshot).
    :return: ``target`` with ``snapshot_uri`` (None when nothing is to be done), ``access_keys`` (``id`` and the
        ``last_use`` the plan saw), ``password`` (None, or the ``last_used`` and ``set`` the plan saw),
        ``tags`` and ``left_alone``.
    """
    hook = account_hook(IamHook, target, run_id)  # a member account's through its role
    name, credentials = target["user_name"], target["credentials"]
    found = hook.get_user(name)
    nothing = {**target, "snapshot_uri": None, "access_keys": [], "password": None, "tags": {}}
    if reason := _user_reason(hook, target, found):
        return nothing | {"left_alone": [_left(None, reason)]}
    held = offboarding.list_holdings(hook, name)
    keys, password, left_alone = [], None, []
    if credentials is None:  # disable: every active key and the password, as the plan saw the user
        relied = target.get("relied_on") or {}
        keys = [{"id": key_id, "last_used": relied.get("last_used")} for key_id in offboarding.active_access_keys(held)]
        if held[LOGIN_PROFILE.name]:
            password = {"last_used": relied.get("last_used"), "set": relied.get("password_set")}
    else:
        for item, key_id in _slots(credentials, held[ACCESS_KEYS.details]):
            if key_id is None:
                left_alone.append(_left(item["credential"], "deactivated or replaced since the plan"))
            elif reason := last_use.access_key_change(hook, key_id, item["last_used"]):
                left_alone.append(_left(item["credential"], reason))
            else:
                keys.append({"id": key_id, "credential": item["credential"], "last_used": item["last_used"]})
        seen = next((c for c in credentials if c["credential"] == PASSWORD), None)
        if seen and held[LOGIN_PROFILE.name]:
            if reason := last_use.password_change(hook, found, seen["last_used"], seen["created"]):
                left_alone.append(_left(PASSWORD, reason))
            else:
                password = {"last_used": seen["last_used"], "set": seen["created"]}
    if not keys and not password and not target["tags"]:  # disable still tags a stale user holding no credential
        return nothing | {"left_alone": left_alone}
    uri = snapshots.write_user_snapshot(
        hook,
        user_as_data(found),
        held,
        caller_arn=target["caller_arn"],
        run_id=run_id,
        reason=target["reason"],
        approved_by=target.get("approved_by"),
        requested_by=target.get("requested_by"),
    )
    if credentials is None and not _user_reason(hook, target, hook.get_user(name)):  # disable: contain first, for good
        offboarding.contain(hook, name)  # read again after the snapshot; undone with the rest (docs/safety.md)
    relied_on = (target.get("relied_on") or {}) | {"user_id": found["UserId"]}
    return {**target, "relied_on": relied_on, "snapshot_uri": uri, "access_keys": keys, "password": password,
            "left_alone": left_alone}  # fmt: skip


def _outcome(prepared: dict[str, Any], done: list[str], left_alone: list[dict[str, Any]]) -> dict[str, Any]:
    return {"user_name": prepared["user_name"], "account": prepared["account"], "done": done, "left_alone": left_alone}


def deactivate_unused_keys(prepared: dict[str, Any], run_id: str) -> dict[str, Any]:
    """
    Make the prepared access keys Inactive, each only if the user is still the one checked (and, in disable mode,
    still stale) and the key was not used since the plan; otherwise it is left alone, with the reason.

    :return: ``{"user_name", "account", "done": [deactivated key ids], "left_alone": [...]}``.
    """
    if not prepared["access_keys"]:
        return _outcome(prepared, [], [])
    hook = account_hook(IamHook, prepared, run_id)
    if reason := _user_reason(hook, prepared, hook.get_user(prepared["user_name"])):
        return _outcome(prepared, [], [_left(None, reason)])
    go, left_alone = [], []
    for key in prepared["access_keys"]:
        reason = prepared["credentials"] is not None and last_use.access_key_change(hook, key["id"], key["last_used"])
        if reason:
            left_alone.append(_left(key.get("credential"), reason))
        else:
            go.append(key["id"])
    outcome = offboarding.deactivate_access_keys(hook, prepared["user_name"], go)
    return _outcome(prepared, outcome["deactivated"], left_alone)


def delete_unused_password(prepared: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Delete the console password, only if the user is still as checked and it was not used or set since the plan."""
    password = prepared["password"]
    if not password:
        return _outcome(prepared, [], [])
    hook = account_hook(IamHook, prepared, run_id)
    found = hook.get_user(prepared["user_name"])
    if reason := _user_reason(hook, prepared, found):
        return _outcome(prepared, [], [_left(None, reason)])
    reason = prepared["credentials"] is not None and last_use.password_change(
        hook, found, password["last_used"], password["set"]
    )
    if reason:
        return _outcome(prepared, [], [_left(PASSWORD, reason)])
    removed = offboarding.remove_login_profile(hook, prepared["user_name"])["removed"]
    return _outcome(prepared, [PASSWORD] if removed else [], [])


def tag_disabled(prepared: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Tag a disabled user (``lifecycle:disabled-at``), only if it is still as checked and still stale."""
    if not prepared["tags"] or not prepared["snapshot_uri"]:
        return _outcome(prepared, [], [])
    hook = account_hook(IamHook, prepared, run_id)
    if reason := _user_reason(hook, prepared, hook.get_user(prepared["user_name"])):
        return _outcome(prepared, [], [_left(None, reason)])
    hook.tag_user(prepared["user_name"], dict(prepared["tags"]))
    return _outcome(prepared, list(prepared["tags"]), [])


def _named(credential: str) -> str:
    return CREDENTIAL_NAMES.get(credential, credential)  # a report name, or an access key's id


def what_was_done(plan: dict[str, Any], results: list[dict[str, Any] | None]) -> tuple[dict[str, Any], list[str]]:
    """
    The plan as carried out, and a line per thing left alone: ``selected`` without the users (in revoke mode, the
    credentials) that :func:`prepare_revocation` or a change task left alone.

    :param results: what ``prepare_revocation`` and the change tasks returned (None: a task that did not run).
    """
    alone: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in results:
        for item in (result or {}).get("left_alone", []):
            items = alone.setdefault((result["account"], result["user_name"]), [])
            if item not in items:
                items.append(item)
    if not alone:
        return plan, []
    selected = []
    for entry in plan["selected"]:
        items = alone.get((entry["account"], entry["user_name"]), [])
        if any(item["credential"] is None for item in items):
            continue
        if entry.get("credentials") is not None:
            gone = {item["credential"] for item in items}
            entry = entry | {"credentials": [c for c in entry["credentials"] if c["credential"] not in gone]}
            if not entry["credentials"]:
                continue
        selected.append(entry)
    lines = [
        f"Left alone: {user} ({account}){'' if item['credential'] is None else ', ' + _named(item['credential'])}: "
        f"{item['reason']}"
        for (account, user), items in alone.items()
        for item in items
    ]
    return plan | {"selected": selected, "revoke": selected}, lines
