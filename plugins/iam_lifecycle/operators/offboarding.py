"""Listing and removing what an IAM user holds, and deleting the user (see :mod:`iam_lifecycle.offboarding`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from iam_lifecycle import offboarding, snapshots
from iam_lifecycle.operators.users import IamUserOperator, account_template_fields
from iam_lifecycle.protection import protected_patterns

if TYPE_CHECKING:
    from airflow.sdk import Context


class ListUserHoldingsOperator(IamUserOperator):
    """
    List everything AWS requires removed before a user can be deleted, with one list call per kind.

    Login profile (yes/no), access keys, managed policies, inline policies, groups, SSH public keys, signing
    certificates, service-specific credentials and MFA devices; ``access_key_details`` adds each key's status.

    :param user_name: the IAM user's name (templated).
    :return: a dict keyed by kind (``iam_lifecycle.offboarding.DEPENDENCY_KINDS``), also pushed as one XCom per
        key.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        self.log.info("Listing what %s holds", self.user_name)
        holdings = offboarding.list_holdings(self.hook, self.user_name)
        self.log.info("%s holds: %s", self.user_name, holdings)
        return holdings


class DeleteLoginProfileOperator(IamUserOperator):
    """
    Delete a user's console password (login profile); a user without one is fine.

    :param user_name: the IAM user's name (templated).
    :param has_login_profile: what a listing found; when False no call is made (templated). None: unknown.
    :return: ``{"removed": [...], "already_gone": [...]}`` (the user's name in one of them, or both empty).
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "has_login_profile")

    def __init__(self, *, has_login_profile: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.has_login_profile = has_login_profile

    def execute(self, context: Context) -> dict[str, list[str]]:
        if self.has_login_profile is False:
            self.log.info("%s had no login profile when listed; nothing to delete", self.user_name)
            return {"removed": [], "already_gone": []}
        self.log.info("Deleting the login profile of %s", self.user_name)
        return offboarding.remove_login_profile(self.hook, self.user_name)


class DeactivateAccessKeysOperator(IamUserOperator):
    """
    Make a user's access keys Inactive (UpdateAccessKey); they stay, so they can be made Active again.

    :param user_name: the IAM user's name (templated).
    :param access_key_ids: the access key ids (templated).
    :return: ``{"deactivated": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "access_key_ids")

    def __init__(self, *, access_key_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.access_key_ids = access_key_ids

    def execute(self, context: Context) -> dict[str, list[str]]:
        self.log.info("Deactivating access keys %s of %s", self.access_key_ids, self.user_name)
        return offboarding.deactivate_access_keys(self.hook, self.user_name, list(self.access_key_ids or []))


class DetachUserPolicyOperator(IamUserOperator):
    """
    Detach one managed policy from a user (DetachUserPolicy), meant to be dynamically mapped over the policy ARNs.

    :param user_name: the IAM user's name (templated).
    :param policy_arn: the managed policy's ARN (templated).
    :return: ``{"removed": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "policy_arn")

    def __init__(self, *, policy_arn: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_arn = policy_arn

    def execute(self, context: Context) -> dict[str, list[str]]:
        self.log.info("Detaching %s from %s", self.policy_arn, self.user_name)
        return offboarding.remove_items(self.hook, self.user_name, "managed_policies", [self.policy_arn])


class RemoveUserItemsOperator(IamUserOperator):
    """
    Remove every item of one kind from a user, one AWS call each; an item already gone is fine.

    | kind | items | AWS call |
    | --- | --- | --- |
    | `inline_policies` | policy names | DeleteUserPolicy |
    | `groups` | group names | RemoveUserFromGroup |
    | `access_keys` | access key ids | DeleteAccessKey |
    | `ssh_public_keys` | SSH public key ids | DeleteSSHPublicKey |
    | `signing_certificates` | certificate ids | DeleteSigningCertificate |
    | `service_specific_credentials` | credential ids | DeleteServiceSpecificCredential |
    | `mfa_devices` | serial numbers | DeactivateMFADevice, and DeleteVirtualMFADevice for a virtual one |

    :param user_name: the IAM user's name (templated).
    :param kind: which kind of item, from the table.
    :param items: the items (templated).
    :return: ``{"removed": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "items")

    def __init__(self, *, kind: str, items: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        if kind not in offboarding.REMOVERS:
            raise ValueError(f"kind must be one of {', '.join(offboarding.REMOVERS)}, not {kind!r}")
        self.kind = kind
        self.items = items

    def execute(self, context: Context) -> dict[str, list[str]]:
        self.log.info("Removing %s %s from %s", self.kind, self.items, self.user_name)
        return offboarding.remove_items(self.hook, self.user_name, self.kind, list(self.items or []))


class DeleteUserOperator(IamUserOperator):
    """
    Delete the IAM user this run checked, after its dependencies are gone.

    Reads the user again first: a different UserId (deleted and recreated during the run) or a protection added
    meanwhile fails the task with nothing more changed. On DeleteConflict it records what is left in a snapshot
    addendum, removes it and tries again a few times (see `iam_lifecycle.offboarding.delete_user`).

    :param user_name: the IAM user's name (templated).
    :param user: the user as the run checked it (``UserId`` is pinned), e.g. ``GetUserOperator``'s output.
    :param caller_arn: the identity the run acts as (for the protection re-check and the addendum).
    :param snapshot_uri: the run's snapshot, which an addendum refers to.
    :return: as ``iam_lifecycle.offboarding.delete_user`` returns it.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "user", "caller_arn", "snapshot_uri")

    def __init__(self, *, user: dict[str, Any], caller_arn: str, snapshot_uri: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.caller_arn = caller_arn
        self.snapshot_uri = snapshot_uri

    def execute(self, context: Context) -> dict[str, Any]:
        def record_leftovers(leftovers: dict[str, Any]) -> str:
            return snapshots.write_user_snapshot(
                self.hook,
                self.user,
                leftovers,
                caller_arn=self.caller_arn,
                run_id=context["run_id"],
                reason="removed after a DeleteConflict: added during the run",
                addendum_to=self.snapshot_uri,
            )

        self.log.info("Deleting IAM user %s (UserId %s)", self.user_name, self.user["UserId"])
        pin = offboarding.Pin(self.user["UserId"], self.caller_arn, protected_patterns())
        return offboarding.delete_user(self.hook, self.user_name, pin, record_leftovers=record_leftovers)
