"""The account a hook acts in: its connection's, or a member account of an AWS Organization.

- :class:`MemberAccountMixin`: act in a member account of an AWS Organization through a role assumed with the
  connection's credentials, by the provider's own session machinery; :func:`account_hook` builds the hook of a
  run's params or of a reconciliation target.
- :class:`LifecycleHookMixin`: that and :mod:`iam_lifecycle.aws.base`'s mixins, for the hooks that act on users.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from iam_lifecycle import protection
from iam_lifecycle.aws.base import AdaptiveRetriesMixin, CheapCallerMixin, RequiredConnectionMixin
from iam_lifecycle.aws.connections import check_account, check_member_account
from iam_lifecycle.aws.organizations_hook import ConnectionStsHook, OrganizationsHook
from iam_lifecycle.errors import nothing_changed

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper

#: The role assumed in each member account unless a run names another.
DEFAULT_MEMBER_ROLE = "IamLifecycleRole"
#: The connection extra's key for the ExternalId given to AssumeRole (a member role's trust policy may require it).
EXTERNAL_ID_EXTRA = "external_id"
ACCOUNT_ID_PATTERN = r"^\d{12}$"
#: IAM's rule for role names (without a path).
ROLE_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,64}$"


def role_session_name_for(run_id: str) -> str:
    """
    The STS role session name of a DAG run: its run id with every character STS refuses (outside
    ``[A-Za-z0-9_+=,.@-]``) made ``-``, cut to 64 characters. CloudTrail shows it in each member account.
    """
    return re.sub(r"[^A-Za-z0-9_+=,.@-]", "-", run_id)[:64].ljust(2, "-")


def member_role_arn(account_id: str, member_role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{member_role_name}"


class MemberAccountMixin:
    """
    Act in the member account ``account_id`` through its role ``member_role_name``, assumed with the credentials of
    ``aws_conn_id`` (a connection into the organization's management or delegated administrator account).

    The provider's own session machinery does the work: :attr:`conn_config` is the connection's
    ``AwsConnectionWrapper`` (region, endpoint, retries) with ``role_arn``, ``assume_role_method="assume_role"``
    and ``assume_role_kwargs`` (``RoleSessionName``; ``ExternalId`` from the connection extra's ``external_id``
    when present), so ``BaseSessionFactory`` calls STS AssumeRole and refreshes the credentials. Without
    ``account_id`` the hook is the connection's own, as before.

    :param account_id: the member account (12 digits), or None/empty for the connection's own account.
    :param member_role_name: the role's name (default :data:`DEFAULT_MEMBER_ROLE`).
    :param role_session_name: the run id (or any name) the STS session is named after (:func:`role_session_name_for`).
    """

    def __init__(
        self,
        *args: Any,
        account_id: str | None = None,
        member_role_name: str | None = None,
        role_session_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.member_account_id = account_id or None
        self.member_role_name = member_role_name or DEFAULT_MEMBER_ROLE
        self.role_session_name = role_session_name or None

    @cached_property
    def conn_config(self) -> AwsConnectionWrapper:
        """
        The connection's settings; with ``account_id``, a copy that assumes the member role.

        :raises AirflowFailException: an account id or role name AWS could never accept, or a connection that
            itself assumes a role (chaining a member role onto it is not supported); nothing was changed.
        """
        wrapper = super().conn_config  # type: ignore[misc]
        if not self.member_account_id:
            return wrapper
        if not re.fullmatch(ACCOUNT_ID_PATTERN, str(self.member_account_id)):
            raise nothing_changed(f"account_id must be 12 digits, not {self.member_account_id!r}")
        if not re.fullmatch(ROLE_NAME_PATTERN, self.member_role_name):
            raise nothing_changed(f"{self.member_role_name!r} is not an IAM role name")
        if wrapper.role_arn:
            raise nothing_changed(
                f"AWS connection {self.aws_conn_id} itself assumes {wrapper.role_arn}, so it cannot assume member "
                "roles (role chaining is not supported): give it credentials, or leave them to the worker's role"
            )
        member = copy.copy(wrapper)
        if not wrapper:  # aws_conn_id=None: the worker's credentials; a wrapper without a conn_id is ignored
            member.conn_id = None
        member.role_arn = member_role_arn(self.member_account_id, self.member_role_name)
        member.assume_role_method = "assume_role"
        member.assume_role_kwargs = {}
        if self.role_session_name:
            member.assume_role_kwargs["RoleSessionName"] = role_session_name_for(self.role_session_name)
        if external_id := wrapper.extra_config.get(EXTERNAL_ID_EXTRA):
            member.assume_role_kwargs["ExternalId"] = str(external_id)
        source_account = self._protect_source_identity()["Account"]
        if source_account != self.member_account_id:
            self._check_active_member(source_account)
        return member

    def _protect_source_identity(self) -> dict[str, Any]:
        """
        Protect the identity behind the connection whose credentials assume the member role (its own STS
        GetCallerIdentity, once per connection and process): the run acts as the member role, so otherwise the
        organization connection's own IAM user could be offboarded in its account. Returns that identity.
        """
        if self.aws_conn_id in _SOURCE_IDENTITIES:
            return _SOURCE_IDENTITIES[self.aws_conn_id]
        identity = ConnectionStsHook(aws_conn_id=self.aws_conn_id).conn.get_caller_identity()
        protection.protect_connection_identity(identity["Arn"], self.aws_conn_id)
        _SOURCE_IDENTITIES[self.aws_conn_id] = identity
        return identity

    def _check_active_member(self, source_account: str) -> None:
        """
        Refuse, before the member role is assumed, unless the member account is an ACTIVE member of the organization
        of the connection (which acts in ``source_account``): one Organizations DescribeAccount with the
        connection's own credentials, once per connection and account and process. A role that can be assumed is
        not enough: a suspended account, or one outside the organization, is not where a run may act.

        :raises AirflowFailException: not a member, not ACTIVE, no organization, or Organizations denied the check.
        """
        key = (self.aws_conn_id, self.member_account_id)
        if key in _ACTIVE_MEMBERS:
            return
        account, conn = self.member_account_id, self.aws_conn_id or "the worker's credentials"
        try:
            described = OrganizationsHook(aws_conn_id=self.aws_conn_id).describe_account(account)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "AccountNotFoundException":
                raise nothing_changed(
                    f"account {account} is not a member of the organization of AWS connection {conn}"
                ) from None
            if code == "AWSOrganizationsNotInUseException":
                raise nothing_changed(
                    f"AWS connection {conn} acts in account {source_account}, which is in no AWS Organization, so it "
                    f"cannot act in account {account} as a member account"
                ) from None
            if code in _RETRIED_ORGANIZATIONS_ERRORS:
                raise  # nothing was changed either; the task's retries may get an answer
            raise nothing_changed(
                f"AWS connection {conn} could not tell whether account {account} is an ACTIVE member of its "
                f"organization (organizations:DescribeAccount: {code or error})"
            ) from None
        # Organizations replaces Status with State (which adds e.g. PENDING_CLOSURE, SUSPENDED); read either.
        state = described.get("State", described.get("Status"))
        if state != "ACTIVE":
            raise nothing_changed(
                f"account {account} is {state} in the organization of AWS connection {conn}, not ACTIVE"
            )
        _ACTIVE_MEMBERS[key] = described

    def check_reached_account(self, account: str) -> None:
        """
        Fail unless ``account`` (STS GetCallerIdentity's) is the one this hook must act in: the member account, or
        else the connection extra's ``account_id`` when it names one.

        :raises AccountMismatchError: another account (nothing was changed).
        """
        if self.member_account_id:
            check_member_account(self.aws_conn_id, self.conn_config.role_arn, self.member_account_id, account)
        elif self.aws_conn_id:
            check_account(self.aws_conn_id, self.conn_config.extra_config, account)


HookT = TypeVar("HookT", bound=MemberAccountMixin)
#: The STS identity of each connection that assumed a member role in this process (see ``_protect_source_identity``).
_SOURCE_IDENTITIES: dict[str | None, dict[str, Any]] = {}
#: The member accounts found ACTIVE in the organization of each connection, in this process (``_check_active_member``).
_ACTIVE_MEMBERS: dict[tuple[str | None, str], dict[str, Any]] = {}
#: Organizations errors that say nothing about the account: the task fails with them as they are, and may retry.
_RETRIED_ORGANIZATIONS_ERRORS = {"TooManyRequestsException", "ServiceException", "ConcurrentModificationException"}


class LifecycleHookMixin(RequiredConnectionMixin, AdaptiveRetriesMixin, MemberAccountMixin, CheapCallerMixin):
    """All four, for the hooks that act on users (IAM, STS, Secrets Manager)."""


def account_hook(hook_class: type[HookT], place: Mapping[str, Any], run_id: str, **kwargs: Any) -> HookT:
    """
    The hook of the account ``place`` names: a run's params or a reconciliation target, both holding
    ``aws_conn_id`` and, to act in a member account through its role, ``account_id`` and ``member_role_name``
    (absent, None or empty: the connection's own account). The role session is named after ``run_id``.
    """
    return hook_class(
        aws_conn_id=place["aws_conn_id"],
        account_id=place.get("account_id"),
        member_role_name=place.get("member_role_name"),
        role_session_name=run_id,
        **kwargs,
    )
