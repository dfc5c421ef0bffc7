"""What ``iam_user_provisioning`` creates, and whether it may: the user spec from a snapshot (restore) or from
params (onboarding), the check that everything it references exists, and the marker tags that let a run
recognise a user as its own.

**Markers.** CreateUser tags the new user with ``lifecycle:created-by-run`` (the DAG run id) and, for a restore,
``lifecycle:restored-from`` (the snapshot's original UserId and taken_at). A user that already exists is
continued only when it carries one of this run's markers: its own user whose CreateUser response was lost, or an
unfinished restore of the same snapshot. The last task removes the markers, so a finished user is tagged exactly
as specified, and a later run for it is refused.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from iam_lifecycle.holdings import GROUPS, INLINE_POLICIES, MANAGED_POLICIES, RESTORED
from iam_lifecycle.patterns import invalid_user_name_reason
from iam_lifecycle.snapshots import read_snapshot

if TYPE_CHECKING:
    from iam_lifecycle.aws.iam_hook import IamHook

#: What a user is created with: its own attributes, then what each restored kind is given as (params of the same name).
SPEC_KEYS = ("path", "tags", "permissions_boundary", *(kind.restored_as for kind in RESTORED))

CREATED_BY_RUN_TAG = "lifecycle:created-by-run"
RESTORED_FROM_TAG = "lifecycle:restored-from"
#: The tags CreateUser adds besides the spec's, removed once the user is complete.
MARKER_TAGS = (CREATED_BY_RUN_TAG, RESTORED_FROM_TAG)
#: IAM's limit on all of a user's inline policies together, whitespace not counted.
MAX_INLINE_POLICY_CHARACTERS = 2048
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")
#: Characters IAM refuses in a tag value (it allows letters, digits, spaces and ``_.:/=+-@``; 256 at most).
_NOT_IN_TAG_VALUE = re.compile(r"[^\w .:/=+\-@]")


def tag_value(text: str) -> str:
    """``text`` as a valid IAM tag value: refused characters (e.g. ``~`` of a run id) become ``_``."""
    return _NOT_IN_TAG_VALUE.sub("_", text)[:256]


def restore_marker(snapshot: dict[str, Any]) -> str:
    """What identifies a snapshot in ``lifecycle:restored-from``: the original UserId and when it was taken."""
    return tag_value(f"{snapshot['user']['UserId']} {snapshot['taken_at']}")


def spec_from_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """
    The parts of a snapshot that are restored: the user, and each kind a restore gives back
    (:data:`iam_lifecycle.holdings.RESTORED`). Credentials (keys, passwords, MFA, …) never are.
    """
    user = snapshot["user"]
    spec = {
        "user_name": user["UserName"],
        "path": user["Path"],
        "tags": user["Tags"],
        "permissions_boundary": user["PermissionsBoundary"],
    }
    for kind in RESTORED:  # what the lifecycle put there itself is never given back (a snapshot has none of it)
        given = snapshot[kind.name]
        kept = [item for item in given if item not in kind.not_held]
        spec[kind.restored_as] = {item: given[item] for item in kept} if isinstance(given, dict) else kept
    return spec


def _document_reason(name: str, document: Any) -> tuple[str | None, str]:
    """Why one inline policy document cannot be put, or None; and its JSON text as PutUserPolicy sends it."""
    if isinstance(document, str):
        try:
            text, document = document, json.loads(document)
        except ValueError:
            return f"inline policy {name!r} is not JSON", ""
    else:
        text = json.dumps(document)
    if not isinstance(document, dict):
        return f"inline policy {name!r} is not a JSON object", text
    if "Version" not in document:
        return f"inline policy {name!r} has no Version (IAM needs {POLICY_VERSIONS[0]})", text
    if document["Version"] not in POLICY_VERSIONS:
        return f"inline policy {name!r} has Version {document['Version']!r} (IAM needs {POLICY_VERSIONS[0]})", text
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not statements or not isinstance(statements, list):
        return f"inline policy {name!r} has no Statement", text
    if not all(isinstance(statement, dict) for statement in statements):
        return f"inline policy {name!r} has a statement that is not an object", text
    return None, text


def invalid_inline_policies_reason(user_name: str, documents: dict[str, Any]) -> str | None:
    """
    Why the inline policies ``documents`` (name -> document, a dict or its JSON text) cannot all be put on the
    user, naming the policy, or None: each must be a JSON object with a Version IAM knows and a Statement of
    objects, and together they must fit IAM's :data:`MAX_INLINE_POLICY_CHARACTERS` (whitespace not counted).

    Asked before CreateUser: a document IAM refuses, once the user exists, leaves a half-made user.
    """
    size = 0
    for name, document in documents.items():
        reason, text = _document_reason(name, document)
        if reason:
            return reason
        size += len("".join(text.split()))
    if size > MAX_INLINE_POLICY_CHARACTERS:
        return (
            f"inline policies of IAM user {user_name!r} are {size} characters without whitespace, over IAM's "
            f"{MAX_INLINE_POLICY_CHARACTERS} for all of a user's inline policies"
        )
    return None


def resolve_spec(params: dict[str, Any], run_id: str) -> dict[str, Any]:
    """
    The user to create, from exactly one of ``params["snapshot"]`` (a snapshot URI) or ``params["user_name"]``
    with the explicit spec params. Raises ValueError with a one-line reason on bad input.

    :param run_id: the DAG run's id, for the ``lifecycle:created-by-run`` marker.
    :return: ``action`` ("restored" or "created"), ``source``, ``user_name``, the :data:`SPEC_KEYS`,
        ``console_access`` and ``markers`` (the marker tags CreateUser adds, see the module docstring).
    """
    snapshot_uri = (params.get("snapshot") or "").strip()
    user_name = (params.get("user_name") or "").strip()
    if bool(snapshot_uri) == bool(user_name):
        raise ValueError("give exactly one of `snapshot` (a snapshot URI to restore) or `user_name` (a new user)")
    markers = {CREATED_BY_RUN_TAG: tag_value(run_id)}
    if snapshot_uri:
        snapshot = read_snapshot(snapshot_uri)
        spec = spec_from_snapshot(snapshot)
        action, source = "restored", snapshot_uri
        markers[RESTORED_FROM_TAG] = restore_marker(snapshot)
    else:
        spec = {"user_name": user_name} | {key: params.get(key) for key in SPEC_KEYS}
        action, source = "created", "params"
    if reason := invalid_user_name_reason(spec["user_name"]):
        raise ValueError(reason)
    if reason := invalid_inline_policies_reason(spec["user_name"], spec["inline_policies"] or {}):
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
        "markers": markers,
    }


def missing_references_reason(spec: dict[str, Any], hook: IamHook) -> str | None:
    """
    Why the user cannot be created as ``spec`` says, because groups, managed policies or the permissions boundary
    it names do not exist (one GetGroup or GetPolicy each), listing every one missing; None when all exist.

    Asked before CreateUser, so a restore whose group or policy was deleted since the snapshot changes nothing
    rather than leaving a half-made user.
    """
    missing = [f"group {name}" for name in spec["groups"] if hook.get_group(name) is None]
    missing += [f"managed policy {arn}" for arn in spec["managed_policy_arns"] if hook.get_policy(arn) is None]
    boundary = spec["permissions_boundary"]
    if boundary and hook.get_policy(boundary) is None:
        missing.append(f"permissions boundary {boundary}")
    if not missing:
        return None
    return f"IAM user {spec['user_name']!r} cannot be {spec['action']}, missing in IAM: {', '.join(missing)}"


def existing_user_reason(user_name: str, tags: dict[str, str], markers: dict[str, str]) -> str | None:
    """
    Why an IAM user that already exists must be refused rather than completed by this run; None when it carries
    one of this run's ``markers``: ``lifecycle:created-by-run`` of this run (its CreateUser response was lost
    and the retry met the user), or ``lifecycle:restored-from`` of the same snapshot (an earlier restore that
    failed half way).

    :param tags: the existing user's tags.
    :param markers: the spec's ``markers``.
    """
    if any(tags.get(key) == value for key, value in markers.items()):
        return None
    if restored_from := tags.get(RESTORED_FROM_TAG):
        return f"IAM user {user_name!r} already exists, from an unfinished restore of snapshot {restored_from}"
    return f"IAM user {user_name!r} already exists"


def grant(
    hook: IamHook, user_name: str, groups: list[str], policy_arns: list[str], documents: dict[str, Any]
) -> dict[str, list[str]]:
    """
    Add the user to ``groups``, attach ``policy_arns`` and put the inline policies ``documents`` (name ->
    document), one call each; every call is safe to repeat. Returns what was granted, by kind.
    """
    for group in groups:
        hook.add_user_to_group(user_name, group)
    for arn in policy_arns:
        hook.attach_user_policy(user_name, arn)
    for name, document in documents.items():
        hook.put_user_policy(user_name, name, document if isinstance(document, str) else json.dumps(document))
    return {GROUPS.name: groups, MANAGED_POLICIES.name: policy_arns, INLINE_POLICIES.name: list(documents)}
