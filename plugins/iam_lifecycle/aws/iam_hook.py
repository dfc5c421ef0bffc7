"""The package's IAM hook: one AWS call or paginator per method, on IAM users and everything they hold.

Listing always goes through boto3 paginators (or follows ``Marker`` by hand where boto3 has no paginator), so a
user with more than one page of anything is seen whole. Removal calls treat "already gone" (``NoSuchEntity``)
as done and log it; every other error propagates.

What it shares with the other services' hooks (:mod:`iam_lifecycle.aws.service_hooks`), a connection that must exist,
adaptive retries and acting in a member account of an AWS Organization through a role, is
:mod:`iam_lifecycle.aws.sessions`.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from iam_lifecycle.aws.retries import note_attempts_that_may_have_applied, retry_transient_iam_errors
from iam_lifecycle.aws.sessions import LifecycleHookMixin


def user_as_data(user: dict[str, Any]) -> dict[str, Any]:
    """
    A user as GetUser or GetAccountAuthorizationDetails describe it, as plain JSON data: ``UserName``,
    ``UserId``, ``Arn``, ``Path``, ``CreateDate`` (ISO 8601), ``Tags`` (a dict) and ``PermissionsBoundary``
    (a policy ARN or None).
    """
    return {
        "UserName": user["UserName"],
        "UserId": user["UserId"],
        "Arn": user["Arn"],
        "Path": user["Path"],
        "CreateDate": user["CreateDate"].isoformat(),
        "Tags": {tag["Key"]: tag["Value"] for tag in user.get("Tags", [])},
        "PermissionsBoundary": user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
    }


class IamHook(LifecycleHookMixin, AwsBaseHook):
    """
    Interact with AWS IAM users and everything they hold (in a member account too: :class:`MemberAccountMixin`).

    :param page_size: items asked for per page of a list call (IAM allows up to 1000).
    """

    def __init__(self, *args, page_size: int = 1000, **kwargs) -> None:
        kwargs["client_type"] = "iam"
        super().__init__(*args, **kwargs)
        self.page_size = page_size

    def get_client_type(self, *args, **kwargs):
        """
        The IAM client, also retrying IAM's transient conflicts, and telling whether a retried DeleteUser's earlier
        attempt may have been applied (see :mod:`iam_lifecycle.aws.retries`).
        """
        client = super().get_client_type(*args, **kwargs)
        client.meta.events.register_first("needs-retry.iam", retry_transient_iam_errors)
        client.meta.events.register("needs-retry.iam.DeleteUser", note_attempts_that_may_have_applied)
        return client

    # ---- reading -------------------------------------------------------------------------------------------

    def _paginate(self, operation: str, result_key: str, **kwargs) -> list[Any]:
        paginator = self.conn.get_paginator(operation)
        items: list[Any] = []
        for page in paginator.paginate(PaginationConfig={"PageSize": self.page_size}, **kwargs):
            items.extend(page[result_key])
        return items

    def get_user(self, user_name: str) -> dict[str, Any] | None:
        """The user as GetUser describes it, or None when there is no such user."""
        try:
            return self.conn.get_user(UserName=user_name)["User"]
        except self.conn.exceptions.NoSuchEntityException:
            return None

    def list_attached_user_policies(self, user_name: str) -> list[str]:
        """ARNs of the managed policies attached to the user."""
        policies = self._paginate("list_attached_user_policies", "AttachedPolicies", UserName=user_name)
        return [policy["PolicyArn"] for policy in policies]

    def list_user_policies(self, user_name: str) -> list[str]:
        """Names of the user's inline policies."""
        return self._paginate("list_user_policies", "PolicyNames", UserName=user_name)

    def get_user_policy_document(self, user_name: str, policy_name: str) -> Any:
        """The document of one inline policy, as a JSON object."""
        return self.conn.get_user_policy(UserName=user_name, PolicyName=policy_name)["PolicyDocument"]

    def list_groups_for_user(self, user_name: str) -> list[str]:
        """Names of the groups the user belongs to."""
        return [g["GroupName"] for g in self._paginate("list_groups_for_user", "Groups", UserName=user_name)]

    def list_access_keys(self, user_name: str) -> list[dict[str, str]]:
        """The user's access keys: id, status and creation date (never the secret)."""
        keys = self._paginate("list_access_keys", "AccessKeyMetadata", UserName=user_name)
        return [
            {"AccessKeyId": k["AccessKeyId"], "Status": k["Status"], "CreateDate": k["CreateDate"].isoformat()}
            for k in keys
        ]

    def list_ssh_public_keys(self, user_name: str) -> list[str]:
        """Ids of the user's SSH public keys (for CodeCommit)."""
        keys = self._paginate("list_ssh_public_keys", "SSHPublicKeys", UserName=user_name)
        return [k["SSHPublicKeyId"] for k in keys]

    def list_signing_certificates(self, user_name: str) -> list[str]:
        """Ids of the user's X.509 signing certificates."""
        certificates = self._paginate("list_signing_certificates", "Certificates", UserName=user_name)
        return [c["CertificateId"] for c in certificates]

    def list_service_specific_credentials(self, user_name: str) -> list[str]:
        """Ids of the user's service-specific credentials (CodeCommit, Keyspaces, Bedrock…)."""
        # boto3 has no paginator for this call; follow Marker by hand.
        ids: list[str] = []
        kwargs: dict[str, Any] = {"UserName": user_name}
        while True:
            page = self.conn.list_service_specific_credentials(**kwargs)
            ids.extend(c["ServiceSpecificCredentialId"] for c in page["ServiceSpecificCredentials"])
            if not page.get("IsTruncated"):
                return ids
            kwargs["Marker"] = page["Marker"]

    def list_mfa_devices(self, user_name: str) -> list[str]:
        """Serial numbers of the user's MFA devices (virtual devices' serials are ARNs with ``:mfa/``)."""
        return [d["SerialNumber"] for d in self._paginate("list_mfa_devices", "MFADevices", UserName=user_name)]

    def has_login_profile(self, user_name: str) -> bool:
        """Whether the user has a console password."""
        try:
            self.conn.get_login_profile(UserName=user_name)
        except self.conn.exceptions.NoSuchEntityException:
            return False
        return True

    # ---- account-wide reading (stale-user finding) ----------------------------------------------------------

    def generate_credential_report(self) -> str:
        """Start (or find) the account's credential report; its State: STARTED, INPROGRESS or COMPLETE."""
        return self.conn.generate_credential_report()["State"]

    def get_credential_report(self) -> dict[str, Any]:
        """The account's latest credential report: ``Content`` (CSV bytes), ``GeneratedTime``…"""
        return self.conn.get_credential_report()

    def list_users_with_details(self) -> list[dict[str, Any]]:
        """
        Every IAM user with its tags, as plain data.

        One GetAccountAuthorizationDetails call per ``page_size`` users (up to 1000): ListUsers does not return
        tags, so this avoids a ListUserTags call per user. Each item is as :func:`user_as_data` gives it.
        """
        users = self._paginate("get_account_authorization_details", "UserDetailList", Filter=["User"])
        return [user_as_data(user) for user in users]

    # ---- creating ------------------------------------------------------------------------------------------

    def get_group(self, group_name: str) -> dict[str, Any] | None:
        """The group as GetGroup describes it (without its members), or None when there is no such group."""
        try:
            return self.conn.get_group(GroupName=group_name, MaxItems=1)["Group"]
        except self.conn.exceptions.NoSuchEntityException:
            return None

    def get_policy(self, policy_arn: str) -> dict[str, Any] | None:
        """The managed policy as GetPolicy describes it, or None when there is no such policy."""
        try:
            return self.conn.get_policy(PolicyArn=policy_arn)["Policy"]
        except self.conn.exceptions.NoSuchEntityException:
            return None

    def create_user(
        self, user_name: str, path: str, tags: dict[str, str], permissions_boundary: str | None
    ) -> dict[str, Any] | None:
        """Create the user with its path, tags and boundary in one call; None when it already exists."""
        kwargs: dict[str, Any] = {
            "UserName": user_name,
            "Path": path,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
        if permissions_boundary:
            kwargs["PermissionsBoundary"] = permissions_boundary
        try:
            user = self.conn.create_user(**kwargs)["User"]
        except self.conn.exceptions.EntityAlreadyExistsException:
            return None
        self.log.info("Created IAM user %s", user["Arn"])
        return user

    def add_user_to_group(self, user_name: str, group_name: str) -> None:
        self.conn.add_user_to_group(UserName=user_name, GroupName=group_name)

    def attach_user_policy(self, user_name: str, policy_arn: str) -> None:
        self.conn.attach_user_policy(UserName=user_name, PolicyArn=policy_arn)

    def put_user_policy(self, user_name: str, policy_name: str, document: str) -> None:
        """Create or replace an inline policy; ``document`` is the policy as JSON text."""
        self.conn.put_user_policy(UserName=user_name, PolicyName=policy_name, PolicyDocument=document)

    def create_login_profile(self, user_name: str, password: str) -> None:
        """Give the user a console password that must be changed at first sign-in."""
        self.conn.create_login_profile(UserName=user_name, Password=password, PasswordResetRequired=True)

    def untag_user(self, user_name: str, tag_keys: list[str]) -> None:
        """Remove tags from the user; a key it does not have is fine."""
        self.conn.untag_user(UserName=user_name, TagKeys=tag_keys)

    # ---- removing: one call each; NoSuchEntity propagates (iam_lifecycle.offboarding.plan decides what it means) --

    def detach_user_policy(self, user_name: str, policy_arn: str) -> None:
        self.conn.detach_user_policy(UserName=user_name, PolicyArn=policy_arn)

    def delete_user_policy(self, user_name: str, policy_name: str) -> None:
        self.conn.delete_user_policy(UserName=user_name, PolicyName=policy_name)

    def remove_user_from_group(self, user_name: str, group_name: str) -> None:
        self.conn.remove_user_from_group(UserName=user_name, GroupName=group_name)

    def update_access_key(self, user_name: str, access_key_id: str, status: str) -> None:
        """Set an access key's status, ``Active`` or ``Inactive``."""
        self.conn.update_access_key(UserName=user_name, AccessKeyId=access_key_id, Status=status)

    def delete_access_key(self, user_name: str, access_key_id: str) -> None:
        self.conn.delete_access_key(UserName=user_name, AccessKeyId=access_key_id)

    def delete_ssh_public_key(self, user_name: str, key_id: str) -> None:
        self.conn.delete_ssh_public_key(UserName=user_name, SSHPublicKeyId=key_id)

    def delete_signing_certificate(self, user_name: str, certificate_id: str) -> None:
        self.conn.delete_signing_certificate(UserName=user_name, CertificateId=certificate_id)

    def delete_service_specific_credential(self, user_name: str, credential_id: str) -> None:
        self.conn.delete_service_specific_credential(UserName=user_name, ServiceSpecificCredentialId=credential_id)

    def deactivate_mfa_device(self, user_name: str, serial_number: str) -> None:
        self.conn.deactivate_mfa_device(UserName=user_name, SerialNumber=serial_number)

    def delete_virtual_mfa_device(self, serial_number: str) -> None:
        self.conn.delete_virtual_mfa_device(SerialNumber=serial_number)

    def remove_mfa_device(self, user_name: str, serial_number: str) -> None:
        """
        Deactivate a device, and delete a virtual one too (serial an ARN with ``:mfa/``): deactivating alone leaves a
        device the person cannot re-enrol. A virtual device already deactivated (by an interrupted earlier attempt)
        may still exist, so it is deleted whatever the deactivation answered; NoSuchEntity of the deletion propagates.
        """
        virtual = ":mfa/" in serial_number
        try:
            self.deactivate_mfa_device(user_name, serial_number)
        except self.conn.exceptions.NoSuchEntityException:
            if not virtual:
                raise
        if virtual:
            self.delete_virtual_mfa_device(serial_number)

    def delete_login_profile(self, user_name: str) -> None:
        self.conn.delete_login_profile(UserName=user_name)

    def delete_user(self, user_name: str) -> None:
        self.conn.delete_user(UserName=user_name)

    # ---- disabling (stale-user reconciliation) -------------------------------------------------------------

    def tag_user(self, user_name: str, tags: dict[str, str]) -> None:
        """Add tags to the user (replacing the values of keys it already has)."""
        self.conn.tag_user(UserName=user_name, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])
