"""One operator per IAM action on a user, in the style of the Amazon provider's operators.

Every operator takes the provider's common keyword arguments (all optional):

:param aws_conn_id: the Airflow connection for AWS credentials (default ``aws_default``); its extra may set
    ``region_name``, ``endpoint_url`` and ``config_kwargs``.
:param region_name: AWS region; IAM is global, so this only picks the endpoint.
:param verify: whether to verify SSL certificates.
:param botocore_config: botocore client configuration as a dict (e.g. ``{"retries": {...}}``).

Return values are plain JSON (lists, dicts, strings) so they show in the XCom tab.
"""

from __future__ import annotations

import datetime
import secrets
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.hooks import IamHook, SecretsManagerHook, StsHook
from iam_lifecycle.links import IamUserConsoleLink
from iam_lifecycle.params import invalid_user_name_reason

if TYPE_CHECKING:
    from airflow.sdk import Context


class GetCallerIdentityOperator(AwsBaseOperator[StsHook]):
    """Return the ARN of the identity the AWS connection acts as (STS GetCallerIdentity)."""

    aws_hook_class = StsHook
    template_fields: Sequence[str] = aws_template_fields()

    def execute(self, context: Context) -> str:
        arn = self.hook.get_caller_arn()
        self.log.info("Acting as %s", arn)
        return arn


class _IamUserOperator(AwsBaseOperator[IamHook]):
    """Base for operators that act on one IAM user. ``user_name`` is templated."""

    aws_hook_class = IamHook
    template_fields: Sequence[str] = aws_template_fields("user_name")
    operator_extra_links = (IamUserConsoleLink(),)

    def __init__(self, *, user_name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user_name = user_name


class GetUserOperator(_IamUserOperator):
    """
    Describe an IAM user, failing the task (without retries) when it does not exist.

    :param user_name: the IAM user's name (templated).
    :return: ``UserName``, ``UserId``, ``Arn``, ``Path``, ``CreateDate`` (ISO 8601), ``Tags`` (a dict) and
        ``PermissionsBoundary`` (a policy ARN or None).
    """

    def execute(self, context: Context) -> dict[str, Any]:
        if reason := invalid_user_name_reason(self.user_name):
            raise AirflowFailException(f"{reason}; nothing was changed.")
        user = self.hook.describe_user(self.user_name)
        if user is None:
            raise AirflowFailException(f"IAM user {self.user_name!r} does not exist; nothing was changed.")
        return user


class ListAttachedUserPoliciesOperator(_IamUserOperator):
    """
    List the ARNs of the managed policies (AWS- and customer-managed) attached to a user.

    :param user_name: the IAM user's name (templated).
    """

    def execute(self, context: Context) -> list[str]:
        arns = self.hook.list_attached_user_policies(self.user_name)
        self.log.info("%s has %d attached managed policies: %s", self.user_name, len(arns), arns)
        return arns


class ListUserDependenciesOperator(_IamUserOperator):
    """
    List everything besides managed policies that AWS requires removed before a user can be deleted.

    One list call per kind: inline policies, groups, access keys, SSH public keys, signing certificates,
    service-specific credentials, MFA devices, and whether a login profile exists.

    :param user_name: the IAM user's name (templated).
    :return: a dict keyed by kind (``iam_lifecycle.hooks.DEPENDENCY_KINDS`` less ``managed_policies``), also
        pushed as one XCom per key.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        dependencies = self.hook.list_dependencies(self.user_name, managed_policies=False)
        self.log.info("%s holds: %s", self.user_name, dependencies)
        return dependencies


class CreateUserOperator(_IamUserOperator):
    """
    Create an IAM user with its path, tags and permissions boundary; fail (without retry) if it exists.

    :param user_name: the new user's name (templated).
    :param path: the user's path, e.g. ``/staff/`` (templated).
    :param tags: tag key -> value (templated).
    :param permissions_boundary: ARN of the managed policy to use as boundary, or None (templated).
    :return: the user's ``UserName``, ``UserId`` and ``Arn``.
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "path", "tags", "permissions_boundary")

    def __init__(
        self,
        *,
        path: str = "/",
        tags: dict[str, str] | None = None,
        permissions_boundary: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.tags = tags
        self.permissions_boundary = permissions_boundary

    def execute(self, context: Context) -> dict[str, str]:
        if reason := invalid_user_name_reason(self.user_name):
            raise AirflowFailException(f"{reason}; nothing was changed.")
        # Checked first so a refusal makes no mutating call; CreateUser's own conflict covers a race.
        user = None
        if self.hook.get_user(self.user_name) is None:
            user = self.hook.create_user(self.user_name, self.path, self.tags or {}, self.permissions_boundary)
        if user is None:
            raise AirflowFailException(f"IAM user {self.user_name!r} already exists; nothing was changed.")
        return {"UserName": user["UserName"], "UserId": user["UserId"], "Arn": user["Arn"]}


class AddUserToGroupsOperator(_IamUserOperator):
    """
    Add a user to groups.

    :param user_name: the IAM user's name (templated).
    :param group_names: the groups' names (templated).
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "group_names")

    def __init__(self, *, group_names: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.group_names = group_names

    def execute(self, context: Context) -> list[str]:
        return self.hook.add_user_to_groups(self.user_name, list(self.group_names or []))


class AttachUserPoliciesOperator(_IamUserOperator):
    """
    Attach managed policies to a user.

    :param user_name: the IAM user's name (templated).
    :param policy_arns: the policies' ARNs (templated).
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "policy_arns")

    def __init__(self, *, policy_arns: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_arns = policy_arns

    def execute(self, context: Context) -> list[str]:
        return self.hook.attach_user_policies(self.user_name, list(self.policy_arns or []))


class PutUserPoliciesOperator(_IamUserOperator):
    """
    Create or replace a user's inline policies.

    :param user_name: the IAM user's name (templated).
    :param policy_documents: inline policy name -> policy document (templated).
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "policy_documents")
    template_fields_renderers = {"policy_documents": "json"}

    def __init__(self, *, policy_documents: dict[str, Any], **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_documents = policy_documents

    def execute(self, context: Context) -> list[str]:
        return self.hook.put_user_policies(self.user_name, dict(self.policy_documents or {}))


class CreateLoginProfileOperator(_IamUserOperator):
    """
    Give a user console access with a random password kept only in AWS Secrets Manager.

    The password must be changed at first sign-in. It is stored in a new secret
    ``<secret_prefix>/<user_name>/<UTC timestamp>`` before the login profile is created, and only the secret's
    ARN is logged and returned.

    :param user_name: the IAM user's name (templated).
    :param console_access: when false, do nothing (templated).
    :param secret_prefix: prefix of the secret's name.
    :return: ``{"secret_arn": ...}``, or None without console access.
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "console_access")

    def __init__(
        self, *, console_access: bool, secret_prefix: str = "iam-lifecycle/console-password", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.console_access = console_access
        self.secret_prefix = secret_prefix

    def execute(self, context: Context) -> dict[str, str] | None:
        if not self.console_access:
            self.log.info("No console access asked for %s", self.user_name)
            return None
        password = random_password()
        secret_store = SecretsManagerHook(**self._hook_parameters)
        # One secret per login profile created: a returning user's old secret is left as it was.
        created = datetime.datetime.now(datetime.UTC)
        secret_arn = secret_store.create_secret(
            f"{self.secret_prefix}/{self.user_name}/{created:%Y%m%dT%H%M%SZ}",
            password,
            f"Initial console password of IAM user {self.user_name} (reset required at first sign-in)",
        )
        self.hook.create_login_profile(self.user_name, password)
        self.log.info("Console password of %s stored in %s", self.user_name, secret_arn)
        return {"secret_arn": secret_arn}


def random_password(length: int = 24) -> str:
    """A password meeting any IAM password policy: every character class, from a CSPRNG."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*()_+-=[]{}|"]
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class _RemoveUserItemsOperator(_IamUserOperator):
    """Remove a list of one kind of item from a user through one hook method; log and return the outcome."""

    hook_method: str
    items_field: str

    def execute(self, context: Context) -> dict[str, list[str]]:
        items = getattr(self, self.items_field) or []
        return getattr(self.hook, self.hook_method)(self.user_name, list(items))


class DetachUserPolicyOperator(_RemoveUserItemsOperator):
    """
    Detach one managed policy from a user (meant to be dynamically mapped over the policy ARNs).

    :param user_name: the IAM user's name (templated).
    :param policy_arn: the managed policy's ARN (templated).
    """

    hook_method = "detach_user_policy"
    items_field = "policy_arns"
    template_fields: Sequence[str] = aws_template_fields("user_name", "policy_arn")

    def __init__(self, *, policy_arn: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_arn = policy_arn

    @property
    def policy_arns(self) -> list[str]:
        return [self.policy_arn]


class DeleteUserPoliciesOperator(_RemoveUserItemsOperator):
    """
    Delete a user's inline policies.

    :param user_name: the IAM user's name (templated).
    :param policy_names: names of the inline policies (templated).
    """

    hook_method = "delete_user_policy"
    items_field = "policy_names"
    template_fields: Sequence[str] = aws_template_fields("user_name", "policy_names")

    def __init__(self, *, policy_names: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy_names = policy_names


class RemoveUserFromGroupsOperator(_RemoveUserItemsOperator):
    """
    Remove a user from groups.

    :param user_name: the IAM user's name (templated).
    :param group_names: the groups' names (templated).
    """

    hook_method = "remove_user_from_group"
    items_field = "group_names"
    template_fields: Sequence[str] = aws_template_fields("user_name", "group_names")

    def __init__(self, *, group_names: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.group_names = group_names


class DeleteAccessKeysOperator(_RemoveUserItemsOperator):
    """
    Delete a user's access keys.

    :param user_name: the IAM user's name (templated).
    :param access_key_ids: the access key ids (templated).
    """

    hook_method = "delete_access_key"
    items_field = "access_key_ids"
    template_fields: Sequence[str] = aws_template_fields("user_name", "access_key_ids")

    def __init__(self, *, access_key_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.access_key_ids = access_key_ids


class DeleteSshPublicKeysOperator(_RemoveUserItemsOperator):
    """
    Delete a user's SSH public keys.

    :param user_name: the IAM user's name (templated).
    :param ssh_public_key_ids: the SSH public key ids (templated).
    """

    hook_method = "delete_ssh_public_key"
    items_field = "ssh_public_key_ids"
    template_fields: Sequence[str] = aws_template_fields("user_name", "ssh_public_key_ids")

    def __init__(self, *, ssh_public_key_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.ssh_public_key_ids = ssh_public_key_ids


class DeleteSigningCertificatesOperator(_RemoveUserItemsOperator):
    """
    Delete a user's X.509 signing certificates.

    :param user_name: the IAM user's name (templated).
    :param certificate_ids: the certificate ids (templated).
    """

    hook_method = "delete_signing_certificate"
    items_field = "certificate_ids"
    template_fields: Sequence[str] = aws_template_fields("user_name", "certificate_ids")

    def __init__(self, *, certificate_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.certificate_ids = certificate_ids


class DeleteServiceSpecificCredentialsOperator(_RemoveUserItemsOperator):
    """
    Delete a user's service-specific credentials.

    :param user_name: the IAM user's name (templated).
    :param credential_ids: the service-specific credential ids (templated).
    """

    hook_method = "delete_service_specific_credential"
    items_field = "credential_ids"
    template_fields: Sequence[str] = aws_template_fields("user_name", "credential_ids")

    def __init__(self, *, credential_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.credential_ids = credential_ids


class DeleteMfaDevicesOperator(_RemoveUserItemsOperator):
    """
    Deactivate a user's MFA devices and delete the virtual ones.

    :param user_name: the IAM user's name (templated).
    :param serial_numbers: the devices' serial numbers (templated).
    """

    hook_method = "delete_mfa_device"
    items_field = "serial_numbers"
    template_fields: Sequence[str] = aws_template_fields("user_name", "serial_numbers")

    def __init__(self, *, serial_numbers: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.serial_numbers = serial_numbers


class DeleteLoginProfileOperator(_IamUserOperator):
    """
    Delete a user's console password (login profile); a user without one is fine.

    :param user_name: the IAM user's name (templated).
    :param has_login_profile: what a listing found; when False no call is made (templated). None: unknown.
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "has_login_profile")

    def __init__(self, *, has_login_profile: bool | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.has_login_profile = has_login_profile

    def execute(self, context: Context) -> dict[str, list[str]]:
        if self.has_login_profile is False:
            self.log.info("%s had no login profile when listed; nothing to delete", self.user_name)
            return {"removed": [], "already_gone": []}
        return self.hook.delete_login_profile(self.user_name)


class DeleteUserOperator(_IamUserOperator):
    """
    Delete an IAM user, after its dependencies are gone.

    On DeleteConflict it lists what is left, removes it and tries again a few times.

    :param user_name: the IAM user's name (templated).
    :return: ``{"deleted": True}``, or ``{"deleted": False}`` when the user was already gone.
    """

    def execute(self, context: Context) -> dict[str, bool]:
        return {"deleted": self.hook.delete_user(self.user_name)}


class DeactivateAccessKeysOperator(_IamUserOperator):
    """
    Make a user's access keys Inactive (UpdateAccessKey); they stay, so they can be made Active again.

    :param user_name: the IAM user's name (templated).
    :param access_key_ids: the access key ids (templated).
    :return: ``{"deactivated": [...], "already_gone": [...]}``.
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "access_key_ids")

    def __init__(self, *, access_key_ids: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.access_key_ids = access_key_ids

    def execute(self, context: Context) -> dict[str, list[str]]:
        self.log.info("Deactivating access keys %s of %s", self.access_key_ids, self.user_name)
        return self.hook.deactivate_access_keys(self.user_name, list(self.access_key_ids or []))


class TagUserOperator(_IamUserOperator):
    """
    Add tags to a user (TagUser); a key the user already has gets the new value.

    :param user_name: the IAM user's name (templated).
    :param tags: tag key -> value (templated).
    :return: the tags set.
    """

    template_fields: Sequence[str] = aws_template_fields("user_name", "tags")

    def __init__(self, *, tags: dict[str, str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.tags = tags

    def execute(self, context: Context) -> dict[str, str]:
        return self.hook.tag_user(self.user_name, dict(self.tags))
