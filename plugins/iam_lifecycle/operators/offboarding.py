"""Listing and removing what an IAM user holds, and deleting the user (see :mod:`iam_lifecycle.offboarding.plan`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from iam_lifecycle import holdings, snapshots
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.offboarding import user_deletion
from iam_lifecycle.operators.approved import ApprovedChangeMixin
from iam_lifecycle.operators.users import IamUserOperator, account_template_fields
from iam_lifecycle.protection import protected_patterns

if TYPE_CHECKING:
    from airflow.sdk import Context


class ListUserHoldingsOperator(IamUserOperator):
    """
    List everything AWS requires removed before a user can be deleted, with one list call per kind.

    The kinds are those of ``iam_lifecycle.holdings.KINDS``: managed and inline policies, groups, access keys, SSH
    public keys, signing certificates, service-specific credentials, MFA devices and the login profile (yes/no);
    ``access_key_details`` adds each key's status and creation date.

    :param user_name: the IAM user's name (templated).
    :return: the user's holdings (``iam_lifecycle.holdings.Holdings``), also pushed as one XCom per key.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        self.log.info("Listing what %s holds", self.user_name)
        holdings = offboarding.list_holdings(self.hook, self.user_name)
        self.log.info("%s holds: %s", self.user_name, holdings)
        return holdings


class PinnedUserOperator(ApprovedChangeMixin, IamUserOperator):
    """
    Base of the operators that change a user. Before its first call each checks the approval the policy asks for
    (the signed record of the run's approval, or of the run that started it: ``iam_lifecycle.approval.proof``);
    given ``user`` (the user as the run checked it), it reads the user again and refuses, changing nothing, when
    it is another user now (another ``UserId``) or a protected one (see ``iam_lifecycle.offboarding.plan.pinned_user``).

    :param user: the user as the run checked it, e.g. ``GetUserOperator``'s output (templated). None: not pinned.
    :param caller_arn: the identity the run acts as, for the protection re-check (templated).
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "user", "caller_arn")

    def __init__(self, *, user: dict[str, Any] | None = None, caller_arn: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.caller_arn = caller_arn

    def user_still_there(self) -> bool:
        """False when the user no longer exists; raises when it is not the checked user or is protected now."""
        if self.user is None:
            return True
        pin = offboarding.Pin(self.user["UserId"], self.caller_arn or "", protected_patterns())
        if offboarding.pinned_user(self.hook, self.user_name, pin) is not None:
            return True
        self.log.info("IAM user %s no longer exists: nothing to remove", self.user_name)
        return False


class ContainUserOperator(PinnedUserOperator):
    """
    Deny the user every action, with every credential it has or gets, STS sessions already issued included: one
    PutUserPolicy of the inline policy ``iam-lifecycle-deny-all`` (``Deny * on *``), the offboarding's first change.
    It stays until just before DeleteUser, so whatever fails in between the user can do nothing; no snapshot records
    it and no restore recreates it (see ``iam_lifecycle.offboarding.plan.contain``).

    :param user_name: the IAM user's name (templated).
    :param user: see ``PinnedUserOperator`` (templated).
    :param caller_arn: see ``PinnedUserOperator`` (templated).
    :return: ``{"contained": True}``, or ``{"contained": False}`` when the user no longer exists.
    """

    def execute(self, context: Context) -> dict[str, bool]:
        if not self.user_still_there():
            return {"contained": False}
        offboarding.contain(self.hook, self.user_name)
        return {"contained": True}


class DeleteLoginProfileOperator(PinnedUserOperator):
    """
    Delete a user's console password (login profile); a user without one is fine.

    :param user_name: the IAM user's name (templated).
    :param has_login_profile: what a listing found; when False no call is made (templated). None: unknown, so
        DeleteLoginProfile is called whatever a listing said (the offboarding: a password may have been created
        since).
    :param user: see ``PinnedUserOperator`` (templated).
    :param caller_arn: see ``PinnedUserOperator`` (templated).
    :return: ``{"removed": [...], "already_gone": [...]}`` (the user's name in one of them, or both empty).
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "has_login_profile", "user", "caller_arn")

    def __init__(self, *, has_login_profile: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.has_login_profile = has_login_profile

    def execute(self, context: Context) -> dict[str, list[str]]:
        if self.has_login_profile is False:
            self.log.info("%s had no login profile when listed; nothing to delete", self.user_name)
            return {"removed": [], "already_gone": []}
        if not self.user_still_there():
            return {"removed": [], "already_gone": [self.user_name]}
        self.log.info("Deleting the login profile of %s", self.user_name)
        return offboarding.remove_login_profile(self.hook, self.user_name)


class DeactivateAccessKeysOperator(PinnedUserOperator):
    """
    Make a user's access keys Inactive (UpdateAccessKey); they stay, so they can be made Active again.

    :param user_name: the IAM user's name (templated).
    :param access_key_ids: the access key ids (templated). None: every key the user has when the task runs
        (ListAccessKeys first: the offboarding, where a key may have been added since the listing).
    :param user: see ``PinnedUserOperator`` (templated).
    :param caller_arn: see ``PinnedUserOperator`` (templated).
    :return: ``{"deactivated": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "access_key_ids", "user", "caller_arn")

    def __init__(self, *, access_key_ids: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.access_key_ids = access_key_ids

    def execute(self, context: Context) -> dict[str, list[str]]:
        if not self.user_still_there():
            return {"deactivated": [], "already_gone": list(self.access_key_ids or [])}
        if self.access_key_ids is None:
            self.log.info("Deactivating every access key %s has now", self.user_name)
            return offboarding.deactivate_every_access_key(self.hook, self.user_name)
        self.log.info("Deactivating access keys %s of %s", self.access_key_ids, self.user_name)
        return offboarding.deactivate_access_keys(self.hook, self.user_name, list(self.access_key_ids))


class DetachUserPolicyOperator(PinnedUserOperator):
    """
    Detach one managed policy from a user (DetachUserPolicy), meant to be dynamically mapped over the policy ARNs.

    :param user_name: the IAM user's name (templated).
    :param policy_arn: the managed policy's ARN (templated).
    :param user: see ``PinnedUserOperator`` (templated).
    :param caller_arn: see ``PinnedUserOperator`` (templated).
    :return: ``{"removed": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "policy_arn", "user", "caller_arn")

    def __init__(self, *, policy_arn: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_arn = policy_arn

    def execute(self, context: Context) -> dict[str, list[str]]:
        if not self.user_still_there():
            return {"removed": [], "already_gone": [self.policy_arn]}
        self.log.info("Detaching %s from %s", self.policy_arn, self.user_name)
        return offboarding.remove_items(self.hook, self.user_name, holdings.MANAGED_POLICIES.name, [self.policy_arn])


class RemoveUserItemsOperator(PinnedUserOperator):
    """
    Remove every item of one kind from a user, one AWS call each; an item already gone is fine.

    {kinds}

    :param user_name: the IAM user's name (templated).
    :param kind: which kind of item, from the table (``iam_lifecycle.holdings``).
    :param items: the items (templated).
    :param user: see ``PinnedUserOperator`` (templated).
    :param caller_arn: see ``PinnedUserOperator`` (templated).
    :return: ``{"removed": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "items", "user", "caller_arn")

    def __init__(self, *, kind: str, items: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        if kind not in offboarding.REMOVABLE:
            raise ValueError(f"kind must be one of {', '.join(offboarding.REMOVABLE)}, not {kind!r}")
        self.kind = kind
        self.items = items

    def execute(self, context: Context) -> dict[str, list[str]]:
        if not self.user_still_there():
            return {"removed": [], "already_gone": list(self.items or [])}
        self.log.info("Removing %s %s from %s", self.kind, self.items, self.user_name)
        return offboarding.remove_items(self.hook, self.user_name, self.kind, list(self.items or []))


def _removal_table() -> str:
    rows = [f"| `{kind.name}` | {kind.plural} | {', '.join(a.split(':')[1] for a in kind.remove_actions)} |"
            for kind in holdings.REMOVED_ALONGSIDE]  # fmt: skip
    return "\n    ".join(["| kind | items | AWS calls |", "| --- | --- | --- |", *rows])


RemoveUserItemsOperator.__doc__ = (RemoveUserItemsOperator.__doc__ or "").replace("{kinds}", _removal_table())


class DeleteUserOperator(PinnedUserOperator):
    """
    Delete the IAM user this run checked, after its dependencies are gone.

    Reads the user again first: a different UserId (deleted and recreated during the run) or a protection added
    meanwhile fails the task with nothing more changed. On DeleteConflict it records what is left in a snapshot
    addendum, removes it and tries again a few times (see `offboarding.user_deletion.delete_user`); before giving
    up it takes sign-in away again. Its outcome names the addenda of earlier tries of the task too (found beside
    the snapshot), and counts what they recorded.

    :param user_name: the IAM user's name (templated).
    :param user: the user as the run checked it (``UserId`` is pinned), e.g. ``GetUserOperator``'s output.
    :param caller_arn: the identity the run acts as (for the protection re-check and the addendum).
    :param snapshot_uri: the run's snapshot, which an addendum refers to.
    :return: as ``iam_lifecycle.offboarding.user_deletion.delete_user`` returns it, with every addendum of the run.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "user", "caller_arn", "snapshot_uri")

    def __init__(self, *, user: dict[str, Any], caller_arn: str, snapshot_uri: str, **kwargs) -> None:
        super().__init__(user=user, caller_arn=caller_arn, **kwargs)
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
        try_number = getattr(context.get("ti"), "try_number", 1)
        outcome = user_deletion.delete_user(
            self.hook,
            self.user_name,
            pin,
            record_leftovers=record_leftovers,
            # Recorded before each DeleteUser, so a later try after a lost worker knows whose deletion it finds.
            before_delete=lambda: snapshots.mark_delete_sent(self.snapshot_uri, context.get("run_id", ""), try_number),
            after_refusal=lambda: snapshots.withdraw_delete_sent(self.snapshot_uri),
            sent_by_earlier_try=try_number > 1 and snapshots.delete_sent_before(self.snapshot_uri),
        )
        return user_deletion.with_every_addendum(outcome, snapshots.addenda_of(self.snapshot_uri))
