"""Putting a removed Identity Center user back from its snapshot (``iam_user_provisioning`` with
``identity_center_snapshot``): the user with its attributes, its memberships of the groups that still exist, and
its own account assignments (each creation polled until done).

The user gets a new UserId (the identity store makes one). A user of that UserName that exists already is refused,
changing nothing: restoring over it would merge two people's access.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.identity_center import snapshot
from iam_lifecycle.identity_center.hooks import IdentityStoreHook, SsoAdminHook
from iam_lifecycle.identity_center.person import find_instance
from iam_lifecycle.identity_center.removal import DELETION_TIMEOUT_SECONDS, POLL_SECONDS, assignment_label

log = logging.getLogger(__name__)


def restore_plan(uri: str) -> dict[str, Any]:
    """What a restore from the snapshot at ``uri`` creates: ``{"source", "identity_store_id", "instance_arn",
    "user_name", "attributes", "memberships", "assignments"}``. Raises ValueError when ``uri`` is not one."""
    document = snapshot.read(uri)
    return {
        "source": uri,
        "identity_store_id": document["identity_store_id"],
        "instance_arn": document["instance_arn"],
        "user_name": document["user"]["UserName"],
        "attributes": snapshot.user_attributes(document),
        "memberships": document["memberships"],
        "assignments": document["assignments"],
    }


def _wait_for_creation(
    sso: SsoAdminHook, instance_arn: str, status: dict[str, Any], poll_seconds: float, sleep: Callable[[float], None]
) -> dict[str, Any]:
    deadline = time.monotonic() + DELETION_TIMEOUT_SECONDS
    while status.get("Status") == "IN_PROGRESS":
        if time.monotonic() > deadline:
            return {**status, "Status": "FAILED", "FailureReason": "still IN_PROGRESS"}
        sleep(poll_seconds)
        status = sso.creation_status(instance_arn, status["RequestId"])
    return status


def restore_person(
    conn_id: str,
    plan: dict[str, Any],
    *,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """
    Create the user of ``plan`` (:func:`restore_plan`), its memberships and its assignments. Returns
    ``{"user_name", "user_id", "memberships", "missing_groups", "assignments", "failed"}``: what was restored,
    the groups that no longer exist, and each assignment whose creation failed, with AWS's reason.

    :raises AirflowFailException: the connection's instance is not the snapshot's, or a user of that UserName
        exists; nothing was changed.
    """
    instance = find_instance(conn_id, True)
    if instance["identity_store_id"] != plan["identity_store_id"]:
        raise nothing_changed(
            f"the snapshot is of identity store {plan['identity_store_id']}, but AWS connection {conn_id} "
            f"administers {instance['identity_store_id']}"
        )
    ids, sso = IdentityStoreHook(aws_conn_id=conn_id), SsoAdminHook(aws_conn_id=conn_id)
    store, name = plan["identity_store_id"], plan["user_name"]
    if ids.get_user_id(store, name):
        raise nothing_changed(f"Identity Center user {name} exists already in identity store {store}")
    user_id = ids.create_user(store, plan["attributes"])
    log.info("Created Identity Center user %s (%s)", name, user_id)
    outcome: dict[str, Any] = {"user_name": name, "user_id": user_id, "memberships": [], "missing_groups": []}
    outcome |= {"assignments": [], "failed": []}
    for membership in plan["memberships"]:
        try:
            ids.create_membership(store, membership["group_id"], user_id)
            outcome["memberships"].append(membership)
        except Exception as error:
            if not ids.is_not_found(error):
                raise
            outcome["missing_groups"].append(membership["group_name"])
    for assignment in plan["assignments"]:
        status = sso.create_assignment(plan["instance_arn"], assignment, user_id)
        status = _wait_for_creation(sso, plan["instance_arn"], status, poll_seconds, sleep)
        if status["Status"] == "SUCCEEDED":
            outcome["assignments"].append(assignment)
        else:
            outcome["failed"].append(
                f"{assignment_label(assignment)}: {status.get('FailureReason') or status['Status']}"
            )
    return outcome
