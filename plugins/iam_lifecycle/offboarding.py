"""Offboarding one IAM user: what it holds, the order it is taken away in, and DeleteUser with its conflicts.

The one place for this logic: the offboarding DAG's operators, the reconciliation's disabling and the DeleteConflict
retry all use it. ``IamHook`` stays a thin layer of single AWS calls underneath.

**Order.** Sign-in goes first: right after the snapshot the console password (login profile) is deleted and every
access key made ``Inactive`` (:func:`revoke_sign_in`); only then are MFA devices and the rest removed. Whatever
later removal is denied or fails, nobody is left able to sign in without MFA.

**Pinned identity.** IAM user names are reused: a user deleted and recreated under the same name is another user
(another ``UserId``). Before DeleteUser, and before removing anything DeleteConflict names, :func:`delete_user`
reads the user again and refuses to go on when its ``UserId`` is not the one the run checked, or when it is now
protected.

**Truthful outcome.** :func:`delete_user` says whether this run deleted the user, whether that was confirmed by a
retry (DeleteUser applied but its answer lost, the retry finding the user gone; a throttled attempt was not
applied, so a retry after it that finds the user gone means someone else deleted it), or whether someone else
deleted it; and what it removed besides the plan (items added during the run).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iam_lifecycle import protection
from iam_lifecycle.errors import nothing_more_changed
from iam_lifecycle.hooks import IamHook, user_as_data
from iam_lifecycle.retries import EARLIER_ATTEMPT_MAY_HAVE_APPLIED

log = logging.getLogger(__name__)

#: Every kind of thing AWS requires removed before DeleteUser, in the order a full clean-up removes them after
#: sign-in is gone (``login_profile`` is removed first, see :func:`revoke_sign_in`).
DEPENDENCY_KINDS = (
    "login_profile",
    "access_keys",
    "managed_policies",
    "inline_policies",
    "groups",
    "ssh_public_keys",
    "signing_certificates",
    "service_specific_credentials",
    "mfa_devices",
)


def _remove_mfa_device(hook: IamHook, user_name: str, serial: str) -> None:
    """Deactivate a device; delete a virtual one too, so the person is not left unable to re-enrol."""
    virtual = ":mfa/" in serial
    try:
        hook.deactivate_mfa_device(user_name, serial)
    except hook.conn.exceptions.NoSuchEntityException:
        if not virtual:
            raise
        # Deactivated by an earlier, interrupted attempt: the virtual device may still exist.
    if virtual:
        hook.delete_virtual_mfa_device(serial)


#: How one item of each kind is removed (login profiles have no item: see :func:`remove_login_profile`).
REMOVERS: dict[str, Callable[[IamHook, str, str], None]] = {
    "managed_policies": IamHook.detach_user_policy,
    "inline_policies": IamHook.delete_user_policy,
    "groups": IamHook.remove_user_from_group,
    "access_keys": IamHook.delete_access_key,
    "ssh_public_keys": IamHook.delete_ssh_public_key,
    "signing_certificates": IamHook.delete_signing_certificate,
    "service_specific_credentials": IamHook.delete_service_specific_credential,
    "mfa_devices": _remove_mfa_device,
}


#: What ``remove_user_items`` removes, in this order: every kind but managed policies (one detach task each).
REMOVED_ALONGSIDE = tuple(kind for kind in REMOVERS if kind != "managed_policies")


def list_holdings(hook: IamHook, user_name: str) -> dict[str, Any]:
    """
    Everything the user holds that AWS requires removed before DeleteUser, with one list call per kind.

    Keys are :data:`DEPENDENCY_KINDS`; each value is a list of names, ARNs or ids, except ``login_profile`` (a
    bool). ``access_key_details`` adds each key's status and creation date.
    """
    access_keys = hook.list_access_keys(user_name)
    return {
        "login_profile": hook.has_login_profile(user_name),
        "access_keys": [key["AccessKeyId"] for key in access_keys],
        "access_key_details": access_keys,
        "managed_policies": hook.list_attached_user_policies(user_name),
        "inline_policies": hook.list_user_policies(user_name),
        "groups": hook.list_groups_for_user(user_name),
        "ssh_public_keys": hook.list_ssh_public_keys(user_name),
        "signing_certificates": hook.list_signing_certificates(user_name),
        "service_specific_credentials": hook.list_service_specific_credentials(user_name),
        "mfa_devices": hook.list_mfa_devices(user_name),
    }


def holds_anything(holdings: dict[str, Any]) -> bool:
    return any(holdings[kind] for kind in DEPENDENCY_KINDS)


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
    remover = REMOVERS[kind]
    for item in items:
        _gone_is_fine(hook, kind, item, lambda item=item: remover(hook, user_name, item), outcome)
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


def active_access_keys(holdings: dict[str, Any]) -> list[str]:
    return [key["AccessKeyId"] for key in holdings["access_key_details"] if key["Status"] == "Active"]


def revoke_sign_in(hook: IamHook, user_name: str, holdings: dict[str, Any]) -> None:
    """Take away every way to sign in: the console password, then each active access key."""
    if holdings["login_profile"]:
        remove_login_profile(hook, user_name)
    deactivate_access_keys(hook, user_name, active_access_keys(holdings))


def remove_all(hook: IamHook, user_name: str, holdings: dict[str, Any]) -> None:
    """Remove everything :func:`list_holdings` found: sign-in first, then every other kind."""
    revoke_sign_in(hook, user_name, holdings)
    for kind in DEPENDENCY_KINDS:
        if kind != "login_profile":
            remove_items(hook, user_name, kind, holdings[kind])


@dataclass(frozen=True)
class Pin:
    """What a run checked and must still hold when it acts: the user's ``UserId``, and protection (judged with the
    run's caller ARN and the protected-users patterns)."""

    user_id: str
    caller_arn: str
    patterns: list[str]


def pinned_user(hook: IamHook, user_name: str, pin: Pin) -> dict[str, Any] | None:
    """
    The user again, as :func:`~iam_lifecycle.hooks.user_as_data` gives it, or None when it no longer exists.

    :raises AirflowFailException: it is another user now (another ``UserId``: deleted and recreated under the same
        name), or it is protected now.
    """
    user = hook.get_user(user_name)
    if user is None:
        return None
    if user["UserId"] != pin.user_id:
        raise nothing_more_changed(
            f"IAM user {user_name} is not the user this run checked (UserId {pin.user_id}, now {user['UserId']}): "
            "it was deleted and recreated during the run"
        )
    data = user_as_data(user)
    if reason := protection.protection_reason(data, pin.caller_arn, pin.patterns):
        raise nothing_more_changed(f"{reason} now")
    return data


def delete_user(
    hook: IamHook,
    user_name: str,
    pin: Pin,
    *,
    record_leftovers: Callable[[dict[str, Any]], str],
    attempts: int = 4,
    backoff_seconds: float = 2.0,
) -> dict[str, Any]:
    """
    Delete the user the run checked (``pin``), after reading it again (:func:`pinned_user`).

    A DeleteConflict means something is still attached: added since it was listed, or a removal IAM has not
    finished propagating. Each time, the user is read again, what is left is listed, recorded with
    ``record_leftovers`` (which returns where: a snapshot addendum) and removed, and DeleteUser is tried again,
    ``attempts`` times in all.

    :return: ``deleted`` (this run's DeleteUser deleted the user), ``confirmed_by_retry`` (its answer was lost and
        the client's retry found the user gone), ``gone_before`` (someone else deleted it first), ``leftovers``
        (kind -> items removed after a conflict) and ``addenda`` (where they were recorded).
    """
    outcome: dict[str, Any] = {
        "deleted": False,
        "confirmed_by_retry": False,
        "gone_before": False,
        "leftovers": {},
        "addenda": [],
    }
    attempt = 1
    while True:
        try:
            if pinned_user(hook, user_name, pin) is None:
                log.info("IAM user %s was deleted by someone else before this run's DeleteUser", user_name)
                return outcome | {"gone_before": True}
            hook.delete_user(user_name)
        except hook.conn.exceptions.NoSuchEntityException as error:
            if error.response.get("ResponseMetadata", {}).get(EARLIER_ATTEMPT_MAY_HAVE_APPLIED):
                log.info("DeleteUser's answer was lost; its retry found %s gone: deleted by this run", user_name)
                return outcome | {"deleted": True, "confirmed_by_retry": True}
            log.info("IAM user %s was deleted by someone else just before this run's DeleteUser", user_name)
            return outcome | {"gone_before": True}
        except hook.conn.exceptions.DeleteConflictException as conflict:
            if attempt == attempts:
                raise
            if not _remove_leftovers(hook, user_name, pin, record_leftovers, outcome):
                return outcome | {"gone_before": True}
            log.warning("DeleteUser conflict (%s) on attempt %d of %d", conflict, attempt, attempts)
            time.sleep(backoff_seconds * attempt)
            attempt += 1
        else:
            log.info("Deleted IAM user %s", user_name)
            return outcome | {"deleted": True}


def _remove_leftovers(
    hook: IamHook, user_name: str, pin: Pin, record_leftovers: Callable[[dict[str, Any]], str], outcome: dict
) -> bool:
    """After a DeleteConflict: re-read, list, record and remove what is left. False when the user is gone."""
    try:
        if pinned_user(hook, user_name, pin) is None:
            return False
        leftovers = list_holdings(hook, user_name)
    except hook.conn.exceptions.NoSuchEntityException:
        return False
    if holds_anything(leftovers):
        log.warning("Removing what %s still holds: %s", user_name, leftovers)
        outcome["addenda"].append(record_leftovers(leftovers))
        remove_all(hook, user_name, leftovers)
        for kind in DEPENDENCY_KINDS:
            if leftovers[kind]:
                found = [user_name] if kind == "login_profile" else leftovers[kind]
                outcome["leftovers"].setdefault(kind, []).extend(found)
    return True
