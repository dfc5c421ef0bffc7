"""Whether what a reconciliation plan relied on about a user's credentials still holds when a task acts on them.

The plan reads the credential report (up to 4 hours old), then waits for a person's approval (up to a day). A
stale key may sign a call, or the console password be used or set again, meanwhile: what changed is left alone.
Each task that acts reads the live values first, and compares them with what the plan saw (``relied_on``):

- an access key's last use: GetAccessKeyLastUsed;
- the console password's last use: GetUser's ``PasswordLastUsed``;
- the console password set since: GetLoginProfile's ``CreateDate`` (a login profile deleted and created again).

``relied_on`` is plain data the plan carries for each user (:func:`relied_on`): ``last_used`` (ISO or None, the
latest use of any credential the report showed) and ``password_set`` (ISO, when the password the report showed was
set; None: it showed none). Times are compared to the second, as the report writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iam_lifecycle.reconciliation.staleness import ACCESS_KEY_SLOTS, _date  # one parser of the report's dates

#: Why a credential or a user is left alone; the messages and the report quote it.
USED_AGAIN = "used again since the plan"


def _time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).replace(microsecond=0)


def later(live: str | datetime | None, seen: str | datetime | None) -> bool:
    """Whether ``live`` (a use, a creation) is after ``seen`` (what the plan saw; None: nothing), to the second."""
    live, seen = _time(live), _time(seen)
    return live is not None and (seen is None or live > seen)


def relied_on(row: dict[str, str]) -> dict[str, Any]:
    """What a plan relies on about a user from its credential report row: ``last_used``, ``password_set``."""
    uses = [_date(row.get(f"access_key_{slot}_last_used_date")) for slot in ACCESS_KEY_SLOTS]
    password = row.get("password_enabled") == "true"
    uses.append(_date(row.get("password_last_used")) if password else None)
    latest = max((use for use in uses if use is not None), default=None)
    password_set = (_date(row.get("password_last_changed")) or _date(row["user_creation_time"])) if password else None
    return {
        "last_used": latest.isoformat() if latest else None,
        "password_set": password_set.isoformat() if password_set else None,
    }


def _when(value: Any) -> str:
    return _time(value).isoformat()


def access_key_change(hook: Any, key_id: str, seen_last_used: str | None) -> str | None:
    """Why the access key cannot be taken as the plan saw it (used since), or None. One GetAccessKeyLastUsed."""
    used = hook.conn.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"].get("LastUsedDate")
    if later(used, seen_last_used):
        return f"access key {key_id} {USED_AGAIN} (on {_when(used)})"
    return None


def login_profile_created(hook: Any, user_name: str) -> datetime | None:
    """When the user's console password (login profile) was created; None: it has none. One GetLoginProfile."""
    try:
        return hook.conn.get_login_profile(UserName=user_name)["LoginProfile"]["CreateDate"]
    except hook.conn.exceptions.NoSuchEntityException:
        return None


def password_change(hook: Any, user: dict[str, Any], seen_last_used: str | None, seen_set: str | None) -> str | None:
    """
    Why the console password cannot be taken as the plan saw it, or None: used since (``user`` is GetUser's
    answer, with ``PasswordLastUsed``), or set since (a login profile created after ``seen_set``; None: the plan
    saw no password, so any is new).
    """
    used = user.get("PasswordLastUsed")
    if later(used, seen_last_used):
        return f"console password {USED_AGAIN} (on {_when(used)})"
    created = login_profile_created(hook, user["UserName"])
    if later(created, seen_set):
        return f"console password set again since the plan (on {_when(created)})"
    return None


def stale_user_change(hook: Any, user: dict[str, Any], relied: dict[str, Any]) -> str | None:
    """
    Why the user is no longer as stale as the plan saw it, or None: any access key (active or not) or the console
    password used after ``relied["last_used"]``, or a password set after ``relied["password_set"]``.

    AWS cost: ListAccessKeys, GetAccessKeyLastUsed per key, GetLoginProfile; ``user`` is GetUser's answer.
    """
    keys = hook.conn.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]
    for key in keys:
        if reason := access_key_change(hook, key["AccessKeyId"], relied.get("last_used")):
            return reason
    return password_change(hook, user, relied.get("last_used"), relied.get("password_set"))


def offboarding_relied_on_reason(hook: Any, user_name: str, relied: dict[str, Any] | None) -> str | None:
    """
    For an ``iam_user_offboarding`` run a reconciliation triggered (mode ``delete``): why the user must not be
    deleted because it was used since the plan, or None (also when ``relied`` is None: no plan relied on anything).

    :param relied: the conf's ``relied_on`` (:func:`relied_on` of the user's report row), as the plan saw it.
    :return: a one-line reason, for ``nothing_changed`` (check it before the first change) or
        ``nothing_more_changed``.
    """
    if not relied:
        return None
    user = hook.conn.get_user(UserName=user_name)["User"]
    if reason := stale_user_change(hook, user, relied):
        return f"IAM user {user_name} is not stale any more: {reason}"
    return None
