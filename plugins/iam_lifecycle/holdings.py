"""The kinds of thing an IAM user holds, each declared once.

AWS refuses DeleteUser while a user holds any of them. Each :class:`Kind` says what people read (singular, plural),
which :class:`~iam_lifecycle.aws.iam_hook.IamHook` methods list and remove it, how a snapshot records it and what a
restore does with it, whether it lets the user sign in, and the IAM actions the policies must allow. The listing,
the removal order, the plan, the dry-run, approval and Slack texts, snapshots, restores and the sandbox's seeds ask
:data:`KINDS`; none of them spells a kind again. How to add one: docs/holdings.md.

What a user holds travels between tasks as plain data (:class:`Holdings`): each kind's items by kind name, and the
details some kinds' listings give besides (an access key's status and creation date). The one kind a user holds at
most once, the login profile, is a *presence* kind: its value is ``True`` or ``False``, never read as such outside
this module (:meth:`Kind.items`, :meth:`Kind.count`, :meth:`Kind.shown`).

This module imports nothing of AWS or Airflow: the sandbox, the texts and the tests read it cheaply.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict


class Recorded(enum.Enum):
    """How a snapshot records a kind."""

    ITEMS = "the listed names, ARNs or ids"
    DETAILS = "each item's details as listed (an access key's id, status and creation date)"
    DOCUMENTS = "name -> document, read one by one"
    PRESENCE = "true or false"


@dataclass(frozen=True)
class Kind:
    """
    One kind of thing a user holds.

    :param name: its key in holdings, plans, removal outcomes and snapshots.
    :param singular: what a person reads for one, e.g. "group membership".
    :param plural: for several, e.g. "group memberships".
    :param lister: the ``IamHook`` method that lists the user's items (presence kinds: says whether it has one).
    :param remover: the ``IamHook`` method that removes one item (presence kinds: the user's only one).
    :param recorded: how a snapshot records it (its field is :attr:`name`).
    :param restored_as: the restore spec's key that gives it back, or None: a restore never recreates it (credentials:
        the person gets new ones).
    :param signs_in: it lets the user sign in (console or API): taken away first, before anything else.
    :param list_actions: the IAM actions that list it (and read what a snapshot records).
    :param remove_actions: the IAM actions that remove it.
    :param restore_actions: the IAM actions that give it back.
    :param presence: at most one per user; its value is a bool.
    :param one_task_per_item: the offboarding removes each item in a task of its own (``detach_user_policy``), not in
        the kind's ``remove_user_items`` task.
    :param item_key: when the listing gives details (dicts), the key naming each item.
    :param details: then, the key the details are kept under beside the items, e.g. ``access_key_details``.
    :param reader: the ``IamHook`` method reading one item's document (:attr:`Recorded.DOCUMENTS`).
    :param not_held: items the lifecycle itself puts on a user (:data:`CONTAINMENT_POLICY`): never listed as held, so
        never planned, removed with the rest, snapshotted or restored.
    """

    name: str
    singular: str
    plural: str
    lister: str
    remover: str
    recorded: Recorded = Recorded.ITEMS
    restored_as: str | None = None
    signs_in: bool = False
    list_actions: tuple[str, ...] = ()
    remove_actions: tuple[str, ...] = ()
    restore_actions: tuple[str, ...] = ()
    presence: bool = False
    one_task_per_item: bool = False
    item_key: str | None = None
    details: str | None = None
    reader: str | None = None
    not_held: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The heading of its row in a dry run or an approval page: "login profile", "groups"…"""
        return self.singular if self.presence else self.plural

    def empty(self) -> Any:
        return False if self.presence else []

    def items(self, value: Any, user_name: str) -> list[str]:
        """The items of a listed value, by name, ARN or id (a presence kind's one item: the user's name)."""
        if self.presence:
            return [user_name] if value else []
        return list(value)

    def count(self, value: Any) -> int:
        """How many items a listed value (or a removal outcome's list) holds."""
        return int(value) if isinstance(value, bool) else len(value)

    def counted(self, count: int) -> str:
        """'1 managed policy', '12 managed policies'."""
        return f"{count} {self.singular if count == 1 else self.plural}"

    def shown(self, value: Any) -> str:
        """A listed value as a dry run shows it: 'yes'/'no' for a presence kind, else the items or 'none'."""
        if self.presence:
            return "yes" if value else "no"
        return ", ".join(map(str, value)) or "none"

    def list_from(self, hook: Any, user_name: str) -> dict[str, Any]:
        """One listing call: ``{name: value}``, and ``{details: [...]}`` when the listing gives details."""
        listed = getattr(hook, self.lister)(user_name)
        if self.not_held:
            listed = [item for item in listed if item not in self.not_held]
        if self.item_key is None:
            return {self.name: listed}
        return {self.name: [detail[self.item_key] for detail in listed], self.details: listed}

    def remove(self, hook: Any, user_name: str, item: str) -> None:
        """Remove one item (a presence kind's: the user's own, ``item`` being the user's name)."""
        remover = getattr(hook, self.remover)
        remover(user_name) if self.presence else remover(user_name, item)


#: The inline policy the offboarding (and the reconciliation's disable) puts on a user first: it denies every action
#: to every credential the user has or gets, sessions already issued included (see docs/safety.md, "Contain first").
CONTAINMENT_POLICY = "iam-lifecycle-deny-all"
CONTAINMENT_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ContainedByIamLifecycle", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}

MANAGED_POLICIES = Kind(
    "managed_policies",
    "managed policy",
    "managed policies",
    lister="list_attached_user_policies",
    remover="detach_user_policy",
    restored_as="managed_policy_arns",
    list_actions=("iam:ListAttachedUserPolicies",),
    remove_actions=("iam:DetachUserPolicy",),
    restore_actions=("iam:GetPolicy", "iam:AttachUserPolicy"),
    one_task_per_item=True,
)
INLINE_POLICIES = Kind(
    "inline_policies",
    "inline policy",
    "inline policies",
    lister="list_user_policies",
    remover="delete_user_policy",
    recorded=Recorded.DOCUMENTS,
    reader="get_user_policy_document",
    not_held=(CONTAINMENT_POLICY,),
    restored_as="inline_policies",
    list_actions=("iam:ListUserPolicies", "iam:GetUserPolicy"),
    remove_actions=("iam:DeleteUserPolicy",),
    restore_actions=("iam:PutUserPolicy",),
)
GROUPS = Kind(
    "groups",
    "group membership",
    "group memberships",
    lister="list_groups_for_user",
    remover="remove_user_from_group",
    restored_as="groups",
    list_actions=("iam:ListGroupsForUser",),
    remove_actions=("iam:RemoveUserFromGroup",),
    restore_actions=("iam:GetGroup", "iam:AddUserToGroup"),
)
ACCESS_KEYS = Kind(
    "access_keys",
    "access key",
    "access keys",
    lister="list_access_keys",
    remover="delete_access_key",
    recorded=Recorded.DETAILS,
    item_key="AccessKeyId",
    details="access_key_details",
    signs_in=True,
    list_actions=("iam:ListAccessKeys",),
    remove_actions=("iam:UpdateAccessKey", "iam:DeleteAccessKey"),
)
SSH_PUBLIC_KEYS = Kind(
    "ssh_public_keys",
    "SSH public key",
    "SSH public keys",
    lister="list_ssh_public_keys",
    remover="delete_ssh_public_key",
    list_actions=("iam:ListSSHPublicKeys",),
    remove_actions=("iam:DeleteSSHPublicKey",),
)
SIGNING_CERTIFICATES = Kind(
    "signing_certificates",
    "signing certificate",
    "signing certificates",
    lister="list_signing_certificates",
    remover="delete_signing_certificate",
    list_actions=("iam:ListSigningCertificates",),
    remove_actions=("iam:DeleteSigningCertificate",),
)
SERVICE_SPECIFIC_CREDENTIALS = Kind(
    "service_specific_credentials",
    "service-specific credential",
    "service-specific credentials",
    lister="list_service_specific_credentials",
    remover="delete_service_specific_credential",
    list_actions=("iam:ListServiceSpecificCredentials",),
    remove_actions=("iam:DeleteServiceSpecificCredential",),
)
MFA_DEVICES = Kind(
    "mfa_devices",
    "MFA device",
    "MFA devices",
    lister="list_mfa_devices",
    remover="remove_mfa_device",
    list_actions=("iam:ListMFADevices",),
    remove_actions=("iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice"),
)
LOGIN_PROFILE = Kind(
    "login_profile",
    "login profile",
    "login profiles",
    lister="has_login_profile",
    remover="delete_login_profile",
    recorded=Recorded.PRESENCE,
    presence=True,
    signs_in=True,
    list_actions=("iam:GetLoginProfile",),
    remove_actions=("iam:DeleteLoginProfile",),
)

#: Every kind, in the order people read them (texts, dry runs, approval pages).
KINDS: tuple[Kind, ...] = (
    MANAGED_POLICIES,
    INLINE_POLICIES,
    GROUPS,
    ACCESS_KEYS,
    SSH_PUBLIC_KEYS,
    SIGNING_CERTIFICATES,
    SERVICE_SPECIFIC_CREDENTIALS,
    MFA_DEVICES,
    LOGIN_PROFILE,
)
BY_NAME: Mapping[str, Kind] = {kind.name: kind for kind in KINDS}
#: The order a full clean-up removes them in: what signs in first (the console password, then the keys), then the
#: rest as people read them (MFA devices last: the person keeps MFA until every other way in is gone).
REMOVAL_ORDER: tuple[Kind, ...] = tuple(sorted(KINDS, key=lambda kind: (not kind.signs_in, not kind.presence)))
#: The kinds the offboarding's ``remove_user_items`` removes, one mapped task per kind, in map order.
REMOVED_ALONGSIDE: tuple[Kind, ...] = tuple(k for k in KINDS if not k.presence and not k.one_task_per_item)
#: What a restore gives back, and what it never recreates.
RESTORED: tuple[Kind, ...] = tuple(kind for kind in KINDS if kind.restored_as)

#: A user's holdings as plain data (XCom): each kind's value by its name, and its listing's details.
Holdings = TypedDict(  # noqa: UP013 - the keys come from the registry, not written twice
    "Holdings",
    {kind.name: bool if kind.presence else list[str] for kind in KINDS}
    | {kind.details: list[dict[str, str]] for kind in KINDS if kind.details},
)
#: What the offboarding plans to remove (and the dry run lists): each kind's value, without the listing's details.
Plan = TypedDict(  # noqa: UP013
    "Plan", {kind.name: bool if kind.presence else list[str] for kind in KINDS}
)


def plan_of(holdings: Mapping[str, Any]) -> dict[str, Any]:
    """The plan of ``holdings``: every kind's value, without the details its listing gave besides."""
    return {kind.name: holdings[kind.name] for kind in KINDS}


def holds_anything(holdings: Mapping[str, Any]) -> bool:
    return any(holdings[kind.name] for kind in KINDS)


def items_by_kind(holdings: Mapping[str, Any], user_name: str) -> dict[str, list[str]]:
    """The kinds ``holdings`` (or a plan) holds, each as its items (the login profile: the user's name)."""
    found = {kind.name: kind.items(holdings[kind.name], user_name) for kind in KINDS}
    return {name: items for name, items in found.items() if items}


def nothing_held() -> dict[str, Any]:
    """The holdings of a user holding nothing."""
    empty = {kind.name: kind.empty() for kind in KINDS}
    return empty | {kind.details: [] for kind in KINDS if kind.details}
