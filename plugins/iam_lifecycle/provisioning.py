"""What ``iam_user_provisioning`` creates: a user spec from a snapshot (restore) or from params (onboarding)."""

from __future__ import annotations

from typing import Any

from iam_lifecycle.params import invalid_user_name_reason
from iam_lifecycle.snapshots import read_snapshot

SPEC_KEYS = ("path", "tags", "permissions_boundary", "groups", "managed_policy_arns", "inline_policies")


def spec_from_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The parts of a snapshot that are restored. Credentials (keys, passwords, MFA, …) never are."""
    user = snapshot["user"]
    return {
        "user_name": user["UserName"],
        "path": user["Path"],
        "tags": user["Tags"],
        "permissions_boundary": user["PermissionsBoundary"],
        "groups": snapshot["groups"],
        "managed_policy_arns": snapshot["managed_policies"],
        "inline_policies": snapshot["inline_policies"],
    }


def resolve_spec(params: dict[str, Any]) -> dict[str, Any]:
    """
    The user to create, from exactly one of ``params["snapshot"]`` (a snapshot URI) or ``params["user_name"]``
    with the explicit spec params. Raises ValueError with a one-line reason on bad input.

    :return: ``action`` ("restored" or "created"), ``source``, ``user_name``, the :data:`SPEC_KEYS` and
        ``console_access``.
    """
    snapshot_uri = (params.get("snapshot") or "").strip()
    user_name = (params.get("user_name") or "").strip()
    if bool(snapshot_uri) == bool(user_name):
        raise ValueError("give exactly one of `snapshot` (a snapshot URI to restore) or `user_name` (a new user)")
    if snapshot_uri:
        spec = spec_from_snapshot(read_snapshot(snapshot_uri))
        action, source = "restored", snapshot_uri
    else:
        spec = {"user_name": user_name} | {key: params.get(key) for key in SPEC_KEYS}
        action, source = "created", "params"
    if reason := invalid_user_name_reason(spec["user_name"]):
        raise ValueError(reason)
    return {
        "action": action,
        "source": source,
        "user_name": spec["user_name"],
        "path": spec["path"] or "/",
        "tags": spec["tags"] or {},
        "permissions_boundary": spec["permissions_boundary"] or None,
        "groups": spec["groups"] or [],
        "managed_policy_arns": spec["managed_policy_arns"] or [],
        "inline_policies": spec["inline_policies"] or {},
        "console_access": bool(params.get("console_access")),
    }
