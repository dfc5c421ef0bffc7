"""Who the run acts as, and reading and tagging one IAM user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import AwsHookType, aws_template_fields

from iam_lifecycle import protection
from iam_lifecycle.authoring.params import refuse_unknown_conf_keys
from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.aws.service_hooks import StsHook
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.operators.approved import ApprovedChangeMixin
from iam_lifecycle.operators.links import IamUserConsoleLink
from iam_lifecycle.patterns import invalid_user_name_reason

if TYPE_CHECKING:
    from airflow.sdk import Context


#: The arguments that make an operator act in a member account (see ``iam_lifecycle.aws.iam_hook.MemberAccountMixin``).
MEMBER_ACCOUNT_FIELDS = ("account_id", "member_role_name", "role_session_name")


def account_template_fields(*template_fields: str) -> tuple[str, ...]:
    """``aws_template_fields`` plus the member-account arguments of :class:`MemberAccountOperator`."""
    return aws_template_fields(*MEMBER_ACCOUNT_FIELDS, *template_fields)


class MemberAccountOperator(AwsBaseOperator[AwsHookType]):
    """
    Base of this package's AWS operators: the provider's arguments, plus ``account_id`` (the member account of an
    organization to act in through its role, assumed with the credentials of ``aws_conn_id``; None or empty: the
    connection's own account), ``member_role_name`` (default ``IamLifecycleRole``) and ``role_session_name``
    (default the run id), all templated and handed to the hook.
    """

    template_fields: Sequence[str] = account_template_fields()

    def __init__(
        self,
        *,
        account_id: str | None = None,
        member_role_name: str | None = None,
        role_session_name: str = "{{ run_id }}",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.account_id = account_id
        self.member_role_name = member_role_name
        self.role_session_name = role_session_name

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        return {
            **super()._hook_parameters,
            "account_id": self.account_id,
            "member_role_name": self.member_role_name,
            "role_session_name": self.role_session_name,
        }


class GetCallerIdentityOperator(MemberAccountOperator[StsHook]):
    """
    Return the ARN of the identity the run acts as (STS GetCallerIdentity): the connection's, or, with
    ``account_id``, the member role's.

    Fails without retries, before any other AWS call, when the connection does not exist, when the member role
    cannot be assumed, or when the identity acts in another account than ``account_id`` (or than the connection
    extra's ``account_id``).
    """

    aws_hook_class = StsHook
    template_fields: Sequence[str] = account_template_fields()

    def execute(self, context: Context) -> str:
        refuse_unknown_conf_keys(context)  # the offboarding's first task: a stray conf key stops it before any call
        if self.account_id:
            self.log.info("Asking STS who role %s of account %s acts as", self.member_role_name, self.account_id)
        else:
            self.log.info("Asking STS who connection %s acts as", self.aws_conn_id)
        arn = self.hook.get_caller_arn()
        self.log.info("Acting as %s", arn)
        return arn


class IamUserOperator(MemberAccountOperator[IamHook]):
    """Base for operators that act on one IAM user. ``user_name`` is templated."""

    aws_hook_class = IamHook
    template_fields: Sequence[str] = account_template_fields("user_name")
    operator_extra_links = (IamUserConsoleLink(),)

    def __init__(self, *, user_name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user_name = user_name


class GetUserOperator(IamUserOperator):
    """
    Describe an IAM user, failing the task (without retries) when it does not exist, or, given ``caller_arn``,
    when it is protected.

    :param user_name: the IAM user's name (templated).
    :param caller_arn: the identity the run acts as (templated). Given, a protected user fails the task too: one
        named or matched by a glob in the Variable ``iam_lifecycle_protected_users``, tagged
        ``lifecycle:protected=true``, or the run's own identity.
    :return: ``UserName``, ``UserId``, ``Arn``, ``Path``, ``CreateDate`` (ISO 8601), ``Tags`` (a dict) and
        ``PermissionsBoundary`` (a policy ARN or None).
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "caller_arn")

    def __init__(self, *, caller_arn: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.caller_arn = caller_arn

    def execute(self, context: Context) -> dict[str, Any]:
        if reason := invalid_user_name_reason(self.user_name):
            raise nothing_changed(reason)
        self.log.info("Reading IAM user %s", self.user_name)
        user = self.hook.get_user(self.user_name)
        if user is None:
            raise nothing_changed(f"IAM user {self.user_name!r} does not exist")
        data = user_as_data(user)
        if self.caller_arn:
            patterns = protection.protected_patterns()
            if reason := protection.protection_reason(data, self.caller_arn, patterns):
                raise nothing_changed(reason)
        return data


class TagUserOperator(ApprovedChangeMixin, IamUserOperator):
    """
    Add tags to a user (TagUser), or remove some (UntagUser); a key the user already has gets the new value, a
    key it does not have is fine to remove.

    :param user_name: the IAM user's name (templated).
    :param tags: tag key -> value to add (templated).
    :param remove_keys: keys of the tags to remove (templated).
    :return: ``{"tagged": tags, "untagged": remove_keys}``.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "tags", "remove_keys")

    def __init__(self, *, tags: dict[str, str] | None = None, remove_keys: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tags = tags or {}
        self.remove_keys = remove_keys or []

    def execute(self, context: Context) -> dict[str, Any]:
        if self.tags:
            self.log.info("Tagging %s with %s", self.user_name, self.tags)
            self.hook.tag_user(self.user_name, dict(self.tags))
        if self.remove_keys:
            self.log.info("Removing tags %s from %s", self.remove_keys, self.user_name)
            self.hook.untag_user(self.user_name, list(self.remove_keys))
        return {"tagged": dict(self.tags), "untagged": list(self.remove_keys)}
