"""Finding a person in IAM Identity Center: the instance, the user by its UserName, and what it holds.

A **lookup** is plain data (XCom): ``{"enabled", "instance_arn", "identity_store_id", "user_name", "user_id",
"user", "assignments", "memberships", "error", "skipped"}``:

- ``enabled``: whether Identity Center is part of the run (the param ``identity_center``: true, false, or empty
  for "when the organization has an instance"); when not, ``skipped`` says why and nothing else is set.
- ``user``: the user's attributes as DescribeUser gives them (None: no such user in the identity store).
- ``assignments``: the user's own account assignments, in every account, each ``{"account_id",
  "permission_set_arn", "permission_set_name"}``; they are what the offboarding deletes.
- ``memberships``: each ``{"membership_id", "group_id", "group_name", "access"}``, ``access`` being the group's
  own assignments (same shape): what the person has through the group, which ends with the membership while the
  group's assignments stay.
- ``error``: why Identity Center could not be read (one line); the run goes on elsewhere and fails at the end.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.identity_center.hooks import IdentityStoreHook, SsoAdminHook

log = logging.getLogger(__name__)


def wanted_user_name(params: dict[str, Any]) -> str:
    """The person's UserName in the identity store: ``identity_center_user_name``, else the IAM ``user_name``."""
    return params.get("identity_center_user_name") or params["user_name"]


def skipped(why: str) -> dict[str, Any]:
    return {"enabled": False, "skipped": why}


def find_instance(conn_id: str, wanted: bool | None) -> dict[str, Any] | None:
    """
    The Identity Center instance the organization connection administers (ListInstances): ``{"instance_arn",
    "identity_store_id"}``; None when there is none and ``wanted`` is not True.

    :raises AirflowFailException: ``wanted`` is True and there is no instance, or there are several; nothing was
        changed.
    """
    instances = SsoAdminHook(aws_conn_id=conn_id).list_instances()
    if len(instances) > 1:
        raise nothing_changed(
            f"AWS connection {conn_id} administers {len(instances)} IAM Identity Center instances; "
            "an organization has one"
        )
    if not instances:
        if wanted:
            raise nothing_changed(
                f"identity_center is true, but AWS connection {conn_id} administers no IAM Identity Center instance"
            )
        return None
    return {"instance_arn": instances[0]["InstanceArn"], "identity_store_id": instances[0]["IdentityStoreId"]}


def _named(sso: SsoAdminHook, instance_arn: str, assignments: list[dict], names: dict[str, str]) -> list[dict]:
    """Assignments as this package keeps them, each permission set named once per lookup (``names`` caches)."""
    named = []
    for assignment in assignments:
        arn = assignment["PermissionSetArn"]
        if arn not in names:
            names[arn] = sso.permission_set_name(instance_arn, arn)
        named.append(
            {"account_id": assignment["AccountId"], "permission_set_arn": arn, "permission_set_name": names[arn]}
        )
    return sorted(named, key=lambda a: (a["account_id"], a["permission_set_name"]))


def read_user(conn_id: str, instance: dict[str, Any], user_name: str) -> dict[str, Any]:
    """
    The user ``user_name`` of the instance's identity store and everything it holds (a lookup without
    ``enabled``). AWS cost: GetUserId; for a user, DescribeUser, ListAccountAssignmentsForPrincipal, and
    ListGroupMembershipsForMember; per group DescribeGroup and its ListAccountAssignmentsForPrincipal; per
    distinct permission set one DescribePermissionSet.
    """
    ids, sso = IdentityStoreHook(aws_conn_id=conn_id), SsoAdminHook(aws_conn_id=conn_id)
    store, instance_arn = instance["identity_store_id"], instance["instance_arn"]
    found = {**instance, "user_name": user_name, "user_id": None, "user": None, "assignments": [], "memberships": []}
    user_id = ids.get_user_id(store, user_name)
    if user_id is None:
        return found
    names: dict[str, str] = {}
    memberships = []
    for membership in ids.list_memberships(store, user_id):
        group_id = membership["GroupId"]
        access = sso.list_assignments(instance_arn, group_id, "GROUP")
        memberships.append(
            {
                "membership_id": membership["MembershipId"],
                "group_id": group_id,
                "group_name": ids.group_name(store, group_id),
                "access": _named(sso, instance_arn, access, names),
            }
        )
    return found | {
        "user_id": user_id,
        "user": ids.describe_user(store, user_id),
        "assignments": _named(sso, instance_arn, sso.list_assignments(instance_arn, user_id, "USER"), names),
        "memberships": sorted(memberships, key=lambda m: m["group_name"]),
    }


def look_up(params: dict[str, Any]) -> dict[str, Any]:
    """
    The run's lookup (see the module): whether Identity Center is part of it, and the person there. An instance
    that cannot be read (AccessDenied, throttled past the retries…) is returned with its ``error``, so the
    accounts still go on; the run fails once Slack has been told.
    """
    conn_id, wanted = params["organization_conn_id"], params.get("identity_center")
    if wanted is False:
        return skipped("identity_center is false")
    try:
        instance = find_instance(conn_id, wanted)
        if instance is None:
            return skipped(f"AWS connection {conn_id} administers no IAM Identity Center instance")
        return {"enabled": True, "error": None} | read_user(conn_id, instance, wanted_user_name(params))
    except (ClientError, BotoCoreError) as error:
        log.exception("Could not read IAM Identity Center through %s", conn_id)
        return {"enabled": True, "error": str(error).splitlines()[0], "user_name": wanted_user_name(params)}


def holds_anything(lookup: dict[str, Any]) -> bool:
    """Whether the lookup found a user to remove."""
    return bool(lookup.get("enabled") and not lookup.get("error") and lookup.get("user_id"))
