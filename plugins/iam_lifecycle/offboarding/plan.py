"""Offboarding one IAM user: what it holds, the order it is taken away in, and the user the run pinned.

The one place for this logic: the offboarding DAG's operators, the reconciliation's disabling and the DeleteConflict
retry (:mod:`offboarding.user_deletion`) all use it. ``IamHook`` stays a thin layer of single AWS calls underneath.

**Order.** Contain first: right after the snapshot, the first change is one PutUserPolicy of an inline policy
denying every action (:func:`contain`), kept until just before DeleteUser: whatever fails later, the credentials the
user has or gets, STS sessions already issued included, can do nothing. Then sign-in: the console password (login
profile) is deleted and every access key made ``Inactive`` (:func:`revoke_sign_in`), both read at that moment, not
taken from the listing; only then are MFA devices and the rest removed. Whatever later removal is denied or fails,
nobody is left able to sign in without MFA.

**Pinned identity.** IAM user names are reused: a user deleted and recreated under the same name is another user
(another ``UserId``). Right before the first change (after any approval wait) :func:`confirm_before_first_change`
reads the user again; every task that changes the user then reads it again before its first call
(:func:`pinned_user`) and refuses to go on when its ``UserId`` is not the one the run checked, or when it is now
protected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iam_lifecycle import holdings, protection
from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.errors import nothing_changed, nothing_more_changed

log = logging.getLogger(__name__)

#: Every kind of thing AWS requires removed before DeleteUser, by name, in the order a full clean-up removes them
#: (sign-in first, see :func:`revoke_sign_in`).
DEPENDENCY_KINDS = tuple(kind.name for kind in holdings.REMOVAL_ORDER)
#: What ``remove_user_items`` removes, in map order: every kind but managed policies (one detach task each) and the
#: login profile (taken with sign-in).
REMOVED_ALONGSIDE = tuple(kind.name for kind in holdings.REMOVED_ALONGSIDE)
#: The kinds removed item by item (``remove_items``).
REMOVABLE = tuple(kind.name for kind in holdings.KINDS if not kind.presence)


def list_holdings(hook: IamHook, user_name: str) -> holdings.Holdings:
    """
    Everything the user holds that AWS requires removed before DeleteUser, with one list call per kind.

    Keys are the kinds' names (:data:`iam_lifecycle.holdings.KINDS`); each value is a list of names, ARNs or ids
    (the login profile: whether the user has one), and ``access_key_details`` gives each key's status and creation
    date.
    """
    found: dict[str, Any] = {}
    for kind in holdings.KINDS:
        found |= kind.list_from(hook, user_name)
    return found  # type: ignore[return-value]


def holds_anything(held: dict[str, Any]) -> bool:
    return holdings.holds_anything(held)


def contain(hook: IamHook, user_name: str) -> None:
    """
    Deny the user every action, with every credential it has or gets (one PutUserPolicy of
    :data:`~iam_lifecycle.holdings.CONTAINMENT_POLICY`; putting it again is harmless). The listing never counts it
    as held, so no removal, snapshot or restore touches it; :func:`release` takes it away just before DeleteUser.
    """
    log.info("Denying IAM user %s every action (inline policy %s)", user_name, holdings.CONTAINMENT_POLICY)
    hook.put_user_policy(user_name, holdings.CONTAINMENT_POLICY, json.dumps(holdings.CONTAINMENT_DOCUMENT))


def release(hook: IamHook, user_name: str) -> None:
    """Delete the deny policy of :func:`contain`, right before DeleteUser (AWS refuses it while any inline policy is
    there); none is fine (a run contained by an earlier version, or a user deleted meanwhile)."""
    try:
        hook.delete_user_policy(user_name, holdings.CONTAINMENT_POLICY)
    except hook.conn.exceptions.NoSuchEntityException:
        pass


def _gone_is_fine(
    hook: IamHook, what: str, item: str, act: Callable[[], None], outcome: dict, done: str = "removed"
) -> None:
    """Run ``act``; record ``item`` under ``done``, or as already gone when AWS answers NoSuchEntity."""
    try:
        act()
    except hook.conn.exceptions.NoSuchEntityException:
        log.info("%s %s was already gone", what, item)
        outcome["already_gone"].append(item)
    else:
        log.info("%s %s %s", done.capitalize(), what, item)
        outcome[done].append(item)


def remove_items(hook: IamHook, user_name: str, kind: str, items: list[str]) -> dict[str, list[str]]:
    """Remove ``items`` of one kind from the user; ``{"removed": [...], "already_gone": [...]}``."""
    outcome: dict[str, list[str]] = {"removed": [], "already_gone": []}
    removing = holdings.BY_NAME[kind]
    for item in items:
        _gone_is_fine(hook, kind, item, lambda item=item: removing.remove(hook, user_name, item), outcome)
    return outcome


def remove_login_profile(hook: IamHook, user_name: str) -> dict[str, list[str]]:
    """Delete the user's console password; ``{"removed": [user_name]}`` or ``{"already_gone": [user_name]}``."""
    outcome: dict[str, list[str]] = {"removed": [], "already_gone": []}
    _gone_is_fine(hook, "login profile of", user_name, lambda: hook.delete_login_profile(user_name), outcome)
    return outcome


def deactivate_access_keys(hook: IamHook, user_name: str, access_key_ids: list[str]) -> dict[str, list[str]]:
    """Make access keys ``Inactive`` (they stay, and can be made Active again); gone is fine."""
    outcome: dict[str, list[str]] = {"deactivated": [], "already_gone": []}
    for key_id in access_key_ids:
        deactivate = lambda key_id=key_id: hook.update_access_key(user_name, key_id, "Inactive")  # noqa: E731
        _gone_is_fine(hook, "access key", key_id, deactivate, outcome, done="deactivated")
    return outcome


def active_access_keys(held: dict[str, Any]) -> list[str]:
    return [key["AccessKeyId"] for key in held[holdings.ACCESS_KEYS.details] if key["Status"] == "Active"]


def deactivate_every_access_key(hook: IamHook, user_name: str) -> dict[str, list[str]]:
    """Make every key the user has now ``Inactive``: listed at this moment, not trusted from an earlier listing."""
    return deactivate_access_keys(hook, user_name, [key["AccessKeyId"] for key in hook.list_access_keys(user_name)])


def revoke_sign_in(hook: IamHook, user_name: str) -> None:
    """
    Take away every way to sign in as the user is now: DeleteLoginProfile whatever a listing said (none is fine),
    then every access key it has now made ``Inactive``.
    """
    remove_login_profile(hook, user_name)
    deactivate_every_access_key(hook, user_name)


def remove_all(hook: IamHook, user_name: str, held: dict[str, Any]) -> None:
    """Remove everything :func:`list_holdings` found: sign-in first (as it is now), then every other kind."""
    revoke_sign_in(hook, user_name)
    for kind in holdings.REMOVAL_ORDER:
        if not kind.presence:  # the login profile went with sign-in, whatever the listing said
            remove_items(hook, user_name, kind.name, held[kind.name])


@dataclass(frozen=True)
class Pin:
    """What a run checked and must still hold when it acts: the user's ``UserId``, and protection (judged with the
    run's caller ARN and the protected-users patterns)."""

    user_id: str
    caller_arn: str
    patterns: list[str]


def pinned_user(hook: IamHook, user_name: str, pin: Pin, *, changed: bool = True) -> dict[str, Any] | None:
    """
    The user again, as :func:`~iam_lifecycle.aws.iam_hook.user_as_data` gives it, or None when it no longer exists.

    :param changed: whether the run may have changed IAM already (the refusal says "nothing more was changed").
    :raises AirflowFailException: it is another user now (another ``UserId``: deleted and recreated under the same
        name), or it is protected now.
    """
    refuse = nothing_more_changed if changed else nothing_changed
    user = hook.get_user(user_name)
    if user is None:
        return None
    if user["UserId"] != pin.user_id:
        raise refuse(
            f"IAM user {user_name} is not the user this run checked (UserId {pin.user_id}, now {user['UserId']}): "
            "it was deleted and recreated during the run"
        )
    data = user_as_data(user)
    if reason := protection.protection_reason(data, pin.caller_arn, pin.patterns):
        raise refuse(f"{reason} now")
    return data


def confirm_before_first_change(hook: IamHook, user: dict[str, Any], caller_arn: str) -> None:
    """
    Right before a run's first change (after any approval wait): read ``user`` (as the run checked it) again.

    :raises AirflowFailException: it no longer exists, it is another user (another ``UserId``), or it is
        protected now; nothing was changed.
    """
    pin = Pin(user["UserId"], caller_arn, protection.protected_patterns())
    if pinned_user(hook, user["UserName"], pin, changed=False) is None:
        raise nothing_changed(f"IAM user {user['UserName']} no longer exists")
