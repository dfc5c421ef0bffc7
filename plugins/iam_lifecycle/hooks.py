"""Thin hooks over the boto3 IAM and STS clients.

Listing always goes through boto3 paginators (or follows ``Marker`` by hand where boto3 has no paginator), so a
user with more than one page of anything is seen whole. Removal calls treat "already gone" (``NoSuchEntity``)
as done and log it; every other error propagates.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook as ProviderSecretsManagerHook
from airflow.providers.amazon.aws.hooks.sts import StsHook as ProviderStsHook
from botocore.config import Config

from iam_lifecycle.retries import retry_transient_iam_errors

#: Used unless the connection extra (``config_kwargs``) or the operator (``botocore_config``) sets retries.
#: Adaptive mode retries throttling and transient errors with a client-side rate limiter, which matters
#: because IAM's rate limits are account-wide.
DEFAULT_RETRIES = {"mode": "adaptive", "total_max_attempts": 10}

#: Every kind of thing AWS requires removed before DeleteUser succeeds, in the order they are removed.
DEPENDENCY_KINDS = (
    "managed_policies",
    "inline_policies",
    "groups",
    "access_keys",
    "ssh_public_keys",
    "signing_certificates",
    "service_specific_credentials",
    "mfa_devices",
    "login_profile",
)


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


class AdaptiveRetriesMixin:
    """Give a hook's clients botocore's adaptive retry mode unless retries were configured explicitly."""

    @property
    def config(self) -> Config:
        configured = super().config  # type: ignore[misc]
        if configured.retries:
            return configured
        return configured.merge(Config(retries=DEFAULT_RETRIES))


class StsHook(AdaptiveRetriesMixin, ProviderStsHook):
    """The provider's STS hook with this package's retry defaults."""

    def get_caller_arn(self) -> str:
        """ARN of the identity the connection's credentials belong to."""
        return self.conn.get_caller_identity()["Arn"]


class SecretsManagerHook(AdaptiveRetriesMixin, ProviderSecretsManagerHook):
    """The provider's Secrets Manager hook with this package's retry defaults."""

    def create_secret(self, name: str, value: str, description: str) -> str:
        """Create a secret; return its ARN."""
        return self.conn.create_secret(Name=name, SecretString=value, Description=description)["ARN"]


class IamHook(AdaptiveRetriesMixin, AwsBaseHook):
    """
    Interact with AWS IAM users and everything they hold.

    :param page_size: items asked for per page of a list call (IAM allows up to 1000).
    """

    def __init__(self, *args, page_size: int = 1000, **kwargs) -> None:
        kwargs["client_type"] = "iam"
        super().__init__(*args, **kwargs)
        self.page_size = page_size

    def get_client_type(self, *args, **kwargs):
        """The IAM client, also retrying IAM's transient conflicts (see :mod:`iam_lifecycle.retries`)."""
        client = super().get_client_type(*args, **kwargs)
        client.meta.events.register_first("needs-retry.iam", retry_transient_iam_errors)
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

    def list_dependencies(self, user_name: str, managed_policies: bool = True) -> dict[str, Any]:
        """
        Everything the user holds that AWS requires removed before DeleteUser, with one list call per kind.

        Keys are :data:`DEPENDENCY_KINDS` (without ``managed_policies`` when that is False, for callers that
        list them on their own); each value is a list of names, ARNs or ids, except ``login_profile`` (a
        bool). ``access_key_details`` adds each key's status and creation date.
        """
        access_keys = self.list_access_keys(user_name)
        dependencies = {
            "inline_policies": self.list_user_policies(user_name),
            "groups": self.list_groups_for_user(user_name),
            "access_keys": [k["AccessKeyId"] for k in access_keys],
            "access_key_details": access_keys,
            "ssh_public_keys": self.list_ssh_public_keys(user_name),
            "signing_certificates": self.list_signing_certificates(user_name),
            "service_specific_credentials": self.list_service_specific_credentials(user_name),
            "mfa_devices": self.list_mfa_devices(user_name),
            "login_profile": self.has_login_profile(user_name),
        }
        if managed_policies:
            dependencies["managed_policies"] = self.list_attached_user_policies(user_name)
        return dependencies

    # ---- account-wide reading (stale-user finding) ----------------------------------------------------------

    def get_credential_report(self, poll_seconds: float = 2.0, timeout_seconds: float = 300) -> str:
        """
        The account's credential report, as CSV text (one row per user plus ``<root_account>``).

        Calls GenerateCredentialReport until its State is COMPLETE, sleeping ``poll_seconds`` between calls, then
        GetCredentialReport. IAM hands back the existing report when it is under 4 hours old, so the data can be
        that old. A report that is being generated (``ReportInProgress``), missing (``ReportNotPresent``) or
        expired (``ReportExpired``) when fetched means generate and poll again. Throttling is retried by the
        client's botocore retries.

        :raises TimeoutError: no complete report within ``timeout_seconds``.
        """
        not_ready = (
            self.conn.exceptions.CredentialReportNotReadyException,
            self.conn.exceptions.CredentialReportNotPresentException,
            self.conn.exceptions.CredentialReportExpiredException,
        )
        deadline = time.monotonic() + timeout_seconds
        while True:
            state = self.conn.generate_credential_report()["State"]
            if state == "COMPLETE":
                try:
                    report = self.conn.get_credential_report()
                except not_ready as error:
                    # E.g. the report expired, or someone started a new one, between the two calls.
                    state = error.response["Error"]["Code"]
                else:
                    self.log.info("Got the credential report generated at %s", report.get("GeneratedTime"))
                    return report["Content"].decode("utf-8")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"The IAM credential report was not complete after {timeout_seconds} s (last state: {state})"
                )
            self.log.info("Credential report not ready (%s); generating again in %s s", state, poll_seconds)
            time.sleep(min(poll_seconds, remaining))

    def list_users_with_details(self) -> list[dict[str, Any]]:
        """
        Every IAM user with its tags, as plain data.

        One GetAccountAuthorizationDetails call per ``page_size`` users (up to 1000): ListUsers does not return
        tags, so this avoids a ListUserTags call per user. Each item is as :func:`user_as_data` gives it.
        """
        users = self._paginate("get_account_authorization_details", "UserDetailList", Filter=["User"])
        return [user_as_data(user) for user in users]

    # ---- creating ------------------------------------------------------------------------------------------

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

    def add_user_to_groups(self, user_name: str, group_names: list[str]) -> list[str]:
        for group in group_names:
            self.conn.add_user_to_group(UserName=user_name, GroupName=group)
            self.log.info("Added %s to group %s", user_name, group)
        return group_names

    def attach_user_policies(self, user_name: str, policy_arns: list[str]) -> list[str]:
        for arn in policy_arns:
            self.conn.attach_user_policy(UserName=user_name, PolicyArn=arn)
            self.log.info("Attached %s to %s", arn, user_name)
        return policy_arns

    def put_user_policies(self, user_name: str, documents: dict[str, Any]) -> list[str]:
        """Create or replace inline policies from name -> document (a JSON object or string)."""
        for name, document in documents.items():
            text = document if isinstance(document, str) else json.dumps(document)
            self.conn.put_user_policy(UserName=user_name, PolicyName=name, PolicyDocument=text)
            self.log.info("Put inline policy %s on %s", name, user_name)
        return list(documents)

    def create_login_profile(self, user_name: str, password: str) -> None:
        """Give the user a console password that must be changed at first sign-in."""
        self.conn.create_login_profile(UserName=user_name, Password=password, PasswordResetRequired=True)
        self.log.info("Created a login profile for %s (password reset required)", user_name)

    # ---- removing ------------------------------------------------------------------------------------------

    @contextmanager
    def _gone_is_fine(self, what: str, outcome: dict[str, list[str]], item: str):
        """Record ``item`` as removed, or as already gone when AWS answers NoSuchEntity."""
        try:
            yield
        except self.conn.exceptions.NoSuchEntityException:
            self.log.info("%s %s was already gone", what, item)
            outcome["already_gone"].append(item)
        else:
            self.log.info("Removed %s %s", what, item)
            outcome["removed"].append(item)

    def _remove_each(self, what: str, items: list[str], remove) -> dict[str, list[str]]:
        outcome: dict[str, list[str]] = {"removed": [], "already_gone": []}
        for item in items:
            with self._gone_is_fine(what, outcome, item):
                remove(item)
        return outcome

    def detach_user_policy(self, user_name: str, policy_arns: list[str]) -> dict[str, list[str]]:
        """Detach managed policies from the user."""
        return self._remove_each(
            "managed policy",
            policy_arns,
            lambda arn: self.conn.detach_user_policy(UserName=user_name, PolicyArn=arn),
        )

    def delete_user_policy(self, user_name: str, policy_names: list[str]) -> dict[str, list[str]]:
        """Delete inline policies of the user."""
        return self._remove_each(
            "inline policy",
            policy_names,
            lambda name: self.conn.delete_user_policy(UserName=user_name, PolicyName=name),
        )

    def remove_user_from_group(self, user_name: str, group_names: list[str]) -> dict[str, list[str]]:
        """Remove the user from groups."""
        return self._remove_each(
            "membership of group",
            group_names,
            lambda group: self.conn.remove_user_from_group(UserName=user_name, GroupName=group),
        )

    def delete_access_key(self, user_name: str, access_key_ids: list[str]) -> dict[str, list[str]]:
        """Delete access keys of the user."""
        return self._remove_each(
            "access key",
            access_key_ids,
            lambda key_id: self.conn.delete_access_key(UserName=user_name, AccessKeyId=key_id),
        )

    def delete_ssh_public_key(self, user_name: str, key_ids: list[str]) -> dict[str, list[str]]:
        """Delete SSH public keys of the user."""
        return self._remove_each(
            "SSH public key",
            key_ids,
            lambda key_id: self.conn.delete_ssh_public_key(UserName=user_name, SSHPublicKeyId=key_id),
        )

    def delete_signing_certificate(self, user_name: str, certificate_ids: list[str]) -> dict[str, list[str]]:
        """Delete signing certificates of the user."""
        return self._remove_each(
            "signing certificate",
            certificate_ids,
            lambda cert_id: self.conn.delete_signing_certificate(UserName=user_name, CertificateId=cert_id),
        )

    def delete_service_specific_credential(self, user_name: str, credential_ids: list[str]) -> dict[str, list[str]]:
        """Delete service-specific credentials of the user."""
        return self._remove_each(
            "service-specific credential",
            credential_ids,
            lambda cred_id: self.conn.delete_service_specific_credential(
                UserName=user_name, ServiceSpecificCredentialId=cred_id
            ),
        )

    def delete_mfa_device(self, user_name: str, serial_numbers: list[str]) -> dict[str, list[str]]:
        """Deactivate the user's MFA devices, and delete the virtual ones so nobody is left unable to re-enrol."""

        def remove(serial: str) -> None:
            virtual = ":mfa/" in serial
            try:
                self.conn.deactivate_mfa_device(UserName=user_name, SerialNumber=serial)
            except self.conn.exceptions.NoSuchEntityException:
                if not virtual:
                    raise
                # Deactivated by an earlier, interrupted attempt: the virtual device may still exist.
            if virtual:
                self.conn.delete_virtual_mfa_device(SerialNumber=serial)

        return self._remove_each("MFA device", serial_numbers, remove)

    def delete_login_profile(self, user_name: str) -> dict[str, list[str]]:
        """Delete the user's console password."""
        return self._remove_each(
            "login profile", [user_name], lambda name: self.conn.delete_login_profile(UserName=name)
        )

    def remove_dependencies(self, user_name: str, dependencies: dict[str, Any]) -> None:
        """Remove everything :meth:`list_dependencies` found."""
        self.detach_user_policy(user_name, dependencies["managed_policies"])
        self.delete_user_policy(user_name, dependencies["inline_policies"])
        self.remove_user_from_group(user_name, dependencies["groups"])
        self.delete_access_key(user_name, dependencies["access_keys"])
        self.delete_ssh_public_key(user_name, dependencies["ssh_public_keys"])
        self.delete_signing_certificate(user_name, dependencies["signing_certificates"])
        self.delete_service_specific_credential(user_name, dependencies["service_specific_credentials"])
        self.delete_mfa_device(user_name, dependencies["mfa_devices"])
        if dependencies["login_profile"]:
            self.delete_login_profile(user_name)

    def _delete_user_once(self, user_name: str) -> bool:
        try:
            self.conn.delete_user(UserName=user_name)
        except self.conn.exceptions.NoSuchEntityException:
            self.log.info("IAM user %s was already deleted", user_name)
            return False
        self.log.info("Deleted IAM user %s", user_name)
        return True

    def delete_user(self, user_name: str, attempts: int = 4, backoff_seconds: float = 2.0) -> bool:
        """
        Delete the user; return False when it was already gone.

        A DeleteConflict means something is still attached: either added since it was listed, or a removal
        IAM has not finished propagating. Each time, list what is left, remove it, wait and try again.
        """
        for attempt in range(1, attempts):
            try:
                return self._delete_user_once(user_name)
            except self.conn.exceptions.DeleteConflictException as conflict:
                leftovers = self.list_dependencies(user_name)
                self.log.warning("DeleteUser conflict (%s); removing what is left: %s", conflict, leftovers)
                self.remove_dependencies(user_name, leftovers)
                time.sleep(backoff_seconds * attempt)
        return self._delete_user_once(user_name)

    # ---- disabling (stale-user reconciliation) -------------------------------------------------------------

    def describe_user(self, user_name: str) -> dict[str, Any] | None:
        """
        The user as :func:`user_as_data` gives it (what a snapshot records), or None when there is no such user.
        """
        user = self.get_user(user_name)
        return None if user is None else user_as_data(user)

    def deactivate_access_keys(self, user_name: str, access_key_ids: list[str]) -> dict[str, list[str]]:
        """Make the user's access keys Inactive (they stay, and can be made Active again); gone is fine."""
        outcome: dict[str, list[str]] = {"deactivated": [], "already_gone": []}
        for key_id in access_key_ids:
            try:
                self.conn.update_access_key(UserName=user_name, AccessKeyId=key_id, Status="Inactive")
            except self.conn.exceptions.NoSuchEntityException:
                self.log.info("Access key %s of %s was already gone", key_id, user_name)
                outcome["already_gone"].append(key_id)
            else:
                self.log.info("Deactivated access key %s of %s", key_id, user_name)
                outcome["deactivated"].append(key_id)
        return outcome

    def tag_user(self, user_name: str, tags: dict[str, str]) -> dict[str, str]:
        """Add tags to the user (replacing the values of keys it already has)."""
        self.conn.tag_user(UserName=user_name, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])
        self.log.info("Tagged %s with %s", user_name, tags)
        return tags
