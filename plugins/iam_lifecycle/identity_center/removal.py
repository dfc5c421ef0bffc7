"""Removing a person from IAM Identity Center, in AWS's order: the user's account assignments (each deletion
polled until it is done), then its group memberships, then the user.

Assignments go first because AWS fails the deletion of an assignment whose user is gone: deleting the user first
would leave assignments nobody can delete. A deletion that ends FAILED stops the removal there, after the other
assignments were tried: the memberships and the user are kept, so a later run can finish, and the outcome says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.identity_center import snapshot
from iam_lifecycle.identity_center.hooks import IdentityStoreHook, SsoAdminHook
from iam_lifecycle.identity_center.person import read_user

log = logging.getLogger(__name__)

#: How often a deletion's status is read, and how long it may stay IN_PROGRESS before the removal stops.
POLL_SECONDS = 2.0
DELETION_TIMEOUT_SECONDS = 600.0


def assignment_label(assignment: dict[str, Any]) -> str:
    """How messages name an assignment: its permission set in its account."""
    return f"{assignment['permission_set_name']} in {assignment['account_id']}"


def wait_for_deletion(
    sso: SsoAdminHook,
    instance_arn: str,
    status: dict[str, Any],
    *,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = DELETION_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The deletion's final status (DescribeAccountAssignmentDeletionStatus until it is not IN_PROGRESS); one
    still IN_PROGRESS after ``timeout_seconds`` is answered FAILED, with that as its reason."""
    deadline = clock() + timeout_seconds
    while status.get("Status") == "IN_PROGRESS":
        if clock() > deadline:
            return {**status, "Status": "FAILED", "FailureReason": f"still IN_PROGRESS after {timeout_seconds:g} s"}
        sleep(poll_seconds)
        status = sso.deletion_status(instance_arn, status["RequestId"])
    return status


def _delete_assignment(
    sso: SsoAdminHook, found: dict[str, Any], assignment: dict[str, Any], **waiting: Any
) -> str | None:
    """Delete one assignment and wait for it; the failure reason, or None when it is gone."""
    try:
        status = sso.delete_assignment(found["instance_arn"], assignment, found["user_id"])
    except Exception as error:
        if sso.is_not_found(error):  # deleted since it was read (a retry, another admin): gone is fine
            return None
        raise
    status = wait_for_deletion(sso, found["instance_arn"], status, **waiting)
    if status["Status"] == "SUCCEEDED":
        log.info("Deleted the assignment %s of %s", assignment_label(assignment), found["user_name"])
        return None
    return status.get("FailureReason") or status["Status"]


def remove_person(
    conn_id: str, approved: dict[str, Any], *, run_id: str, reason: str, trail: dict[str, Any], **waiting: Any
) -> dict[str, Any]:
    """
    Remove the approved lookup's user from Identity Center, as it is now: read again (a retry finds what is left;
    what was added since is removed too), snapshotted, then its assignments, memberships and the user removed.

    Returns the outcome: ``{"user_name", "user_id", "snapshot_uri", "assignments", "memberships", "user_deleted",
    "failed"}``, ``assignments`` and ``memberships`` being what was removed, ``failed`` the reason the removal
    stopped (None: the user is gone).

    :raises AirflowFailException: the user of that UserName is not the one approved (another UserId: recreated
        since); nothing was changed.
    """
    instance = {key: approved[key] for key in ("instance_arn", "identity_store_id")}
    outcome: dict[str, Any] = {"user_name": approved["user_name"], "user_id": approved["user_id"], "snapshot_uri": None}
    outcome |= {"assignments": [], "memberships": [], "user_deleted": False, "failed": None}
    found = read_user(conn_id, instance, approved["user_name"])
    if found["user_id"] is None:
        log.info("Identity Center user %s is gone already", approved["user_name"])
        return outcome | {"user_deleted": True}
    if found["user_id"] != approved["user_id"]:
        raise nothing_changed(
            f"Identity Center user {approved['user_name']} is now UserId {found['user_id']}, not the approved "
            f"{approved['user_id']} (recreated since the approval)"
        )
    outcome["snapshot_uri"] = snapshot.write(found, run_id=run_id, reason=reason, trail=trail)
    sso, ids = SsoAdminHook(aws_conn_id=conn_id), IdentityStoreHook(aws_conn_id=conn_id)
    failures = []
    for assignment in found["assignments"]:
        if failure := _delete_assignment(sso, found, assignment, **waiting):
            failures.append(f"{assignment_label(assignment)}: {failure}")
        else:
            outcome["assignments"].append(assignment)
    if failures:
        outcome["failed"] = (
            f"the deletion of {len(failures)} account assignment(s) FAILED ({' | '.join(failures)}); its group "
            "memberships and the user are kept"
        )
        return outcome
    store = found["identity_store_id"]
    for membership in found["memberships"]:
        try:
            ids.delete_membership(store, membership["membership_id"])
        except Exception as error:
            if not ids.is_not_found(error):
                raise
        outcome["memberships"].append(membership)
    try:
        ids.delete_user(store, found["user_id"])
    except Exception as error:
        if not ids.is_not_found(error):
            raise
    log.info("Deleted Identity Center user %s (%s)", found["user_name"], found["user_id"])
    return outcome | {"user_deleted": True}
