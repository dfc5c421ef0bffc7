"""The snapshot of a person's Identity Center user, written before its first removal so it can be put back.

JSON beside the IAM users' snapshots (under the same root, the Variable ``iam_lifecycle_snapshot_uri``), at
``identity-center/<identity store id>/<user name>/<UTC timestamp>.json``: the user's attributes as DescribeUser
gives them, its group memberships (group id and name) and its own account assignments (account, permission set
ARN and name), the instance, and the run that took it (run id, reason, who asked and who approved). The access
the person had only through a group is kept with its membership, for the record: restoring the membership gives
it back.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from iam_lifecycle import snapshots
from iam_lifecycle.identity_center.names import SNAPSHOT_FOLDER

log = logging.getLogger(__name__)

#: What marks a document as an Identity Center snapshot (an IAM user's snapshot has none).
KIND = "identity_center_user"
VERSION = 1
#: The attributes DescribeUser answers that CreateUser does not take back (set by the identity store).
NOT_RESTORED = ("UserId", "IdentityStoreId", "ExternalIds")


def build(found: dict[str, Any], *, run_id: str, reason: str, trail: dict[str, Any], taken_at: datetime.datetime):
    """The snapshot document of a lookup (:func:`iam_lifecycle.identity_center.person.read_user`) with a user."""
    return {
        "kind": KIND,
        # Not ``version``: an IAM user's restore (snapshots.read_snapshot) refuses a document without it.
        "identity_center_version": VERSION,
        "taken_at": taken_at.isoformat(),
        "run_id": run_id,
        "reason": reason,
        "requested_by": trail.get("requested_by"),
        "approved_by": ", ".join(trail.get("approved_by") or []) or None,
        "instance_arn": found["instance_arn"],
        "identity_store_id": found["identity_store_id"],
        "user": found["user"],
        "memberships": found["memberships"],
        "assignments": found["assignments"],
    }


def write(found: dict[str, Any], *, run_id: str, reason: str, trail: dict[str, Any]) -> str:
    """Write the lookup's snapshot, read it back, and return its URI; raise if it cannot be (nothing is removed)."""
    taken_at = datetime.datetime.now(datetime.UTC)
    document = build(found, run_id=run_id, reason=reason, trail=trail, taken_at=taken_at)
    folder = snapshots.storage_root() / SNAPSHOT_FOLDER / found["identity_store_id"] / found["user_name"]
    path = folder / f"{taken_at:%Y%m%dT%H%M%S.%fZ}.json"
    uri = snapshots.write_json(path, document)
    if snapshots.read_json(path) != document:
        raise OSError(f"Snapshot at {uri} does not read back as written")
    log.info("Snapshot of Identity Center user %s written to %s", found["user_name"], uri)
    return uri


def is_identity_center_snapshot(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == KIND


def read(uri: str) -> dict[str, Any]:
    """Load a snapshot written by :func:`write`; raise ValueError if ``uri`` holds something else."""
    document = snapshots.read_json(snapshots.storage_root(uri))
    if not is_identity_center_snapshot(document) or document.get("identity_center_version") != VERSION:
        raise ValueError(f"{uri} is not an iam-lifecycle Identity Center snapshot")
    return document


def user_attributes(document: dict[str, Any]) -> dict[str, Any]:
    """The user's attributes as CreateUser takes them."""
    return {key: value for key, value in document["user"].items() if key not in NOT_RESTORED and value}
