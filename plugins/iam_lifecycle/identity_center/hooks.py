"""The hooks of IAM Identity Center: its identity store (users, groups, memberships) and its admin API (instances,
permission sets, account assignments).

Both act with the organization connection's own credentials: Identity Center is administered from the
organization's management account (or a delegated administrator), never through a member account's role. Like
:class:`iam_lifecycle.aws.organizations_hook.OrganizationsHook`, they are the provider's ``AwsBaseHook`` with this
package's connection check, retries and cheap caller (:mod:`iam_lifecycle.aws.base`); the provider has no hook for
either service. Lists are read with boto3's paginators, every page.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from iam_lifecycle.aws.base import AdaptiveRetriesMixin, CheapCallerMixin, RequiredConnectionMixin


class _IdentityCenterHook(RequiredConnectionMixin, AdaptiveRetriesMixin, CheapCallerMixin, AwsBaseHook):
    client_type = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = self.client_type
        super().__init__(*args, **kwargs)

    def _paginate(self, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        for page in self.conn.get_paginator(operation).paginate(**kwargs):
            items.extend(page[result_key])
        return items

    def is_not_found(self, error: Exception) -> bool:
        """Whether ``error`` says the thing asked for does not exist (gone already is fine for a removal)."""
        return isinstance(error, self.conn.exceptions.ResourceNotFoundException)


class IdentityStoreHook(_IdentityCenterHook):
    """Read and remove an identity store's users and group memberships."""

    client_type = "identitystore"

    def get_user_id(self, identity_store_id: str, user_name: str) -> str | None:
        """The UserId of the user whose UserName is ``user_name`` (GetUserId), or None when there is none."""
        try:
            return self.conn.get_user_id(
                IdentityStoreId=identity_store_id,
                AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}},
            )["UserId"]
        except self.conn.exceptions.ResourceNotFoundException:
            return None

    def describe_user(self, identity_store_id: str, user_id: str) -> dict[str, Any]:
        """The user's attributes (DescribeUser), without the response's metadata."""
        described = self.conn.describe_user(IdentityStoreId=identity_store_id, UserId=user_id)
        return {key: value for key, value in described.items() if key != "ResponseMetadata"}

    def list_memberships(self, identity_store_id: str, user_id: str) -> list[dict[str, Any]]:
        """The user's group memberships (ListGroupMembershipsForMember, every page)."""
        return self._paginate(
            "list_group_memberships_for_member",
            "GroupMemberships",
            IdentityStoreId=identity_store_id,
            MemberId={"UserId": user_id},
        )

    def group_name(self, identity_store_id: str, group_id: str) -> str:
        """A group's DisplayName (DescribeGroup)."""
        return self.conn.describe_group(IdentityStoreId=identity_store_id, GroupId=group_id)["DisplayName"]

    def delete_membership(self, identity_store_id: str, membership_id: str) -> None:
        self.conn.delete_group_membership(IdentityStoreId=identity_store_id, MembershipId=membership_id)

    def delete_user(self, identity_store_id: str, user_id: str) -> None:
        self.conn.delete_user(IdentityStoreId=identity_store_id, UserId=user_id)

    def create_user(self, identity_store_id: str, attributes: dict[str, Any]) -> str:
        """Create a user with these attributes (CreateUser's own names); its new UserId."""
        return self.conn.create_user(IdentityStoreId=identity_store_id, **attributes)["UserId"]

    def create_membership(self, identity_store_id: str, group_id: str, user_id: str) -> None:
        self.conn.create_group_membership(
            IdentityStoreId=identity_store_id, GroupId=group_id, MemberId={"UserId": user_id}
        )


class SsoAdminHook(_IdentityCenterHook):
    """Read an Identity Center instance's permission sets and account assignments, and delete assignments."""

    client_type = "sso-admin"

    def list_instances(self) -> list[dict[str, Any]]:
        """The Identity Center instances the connection administers (ListInstances, every page)."""
        return self._paginate("list_instances", "Instances")

    def list_assignments(self, instance_arn: str, principal_id: str, principal_type: str) -> list[dict[str, Any]]:
        """Every account assignment of a user or group, in every account (ListAccountAssignmentsForPrincipal)."""
        return self._paginate(
            "list_account_assignments_for_principal",
            "AccountAssignments",
            InstanceArn=instance_arn,
            PrincipalId=principal_id,
            PrincipalType=principal_type,
        )

    def permission_set_name(self, instance_arn: str, permission_set_arn: str) -> str:
        """A permission set's name (DescribePermissionSet)."""
        return self.conn.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=permission_set_arn)[
            "PermissionSet"
        ]["Name"]

    def _assignment(self, instance_arn: str, assignment: dict[str, Any], user_id: str) -> dict[str, Any]:
        return {
            "InstanceArn": instance_arn,
            "TargetId": assignment["account_id"],
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": assignment["permission_set_arn"],
            "PrincipalType": "USER",
            "PrincipalId": user_id,
        }

    def delete_assignment(self, instance_arn: str, assignment: dict[str, Any], user_id: str) -> dict[str, Any]:
        """Ask for a user's assignment to be deleted (DeleteAccountAssignment); its status (``RequestId``…)."""
        return self.conn.delete_account_assignment(**self._assignment(instance_arn, assignment, user_id))[
            "AccountAssignmentDeletionStatus"
        ]

    def deletion_status(self, instance_arn: str, request_id: str) -> dict[str, Any]:
        """Where a deletion is: ``Status`` IN_PROGRESS, FAILED (with ``FailureReason``) or SUCCEEDED."""
        return self.conn.describe_account_assignment_deletion_status(
            InstanceArn=instance_arn, AccountAssignmentDeletionRequestId=request_id
        )["AccountAssignmentDeletionStatus"]

    def create_assignment(self, instance_arn: str, assignment: dict[str, Any], user_id: str) -> dict[str, Any]:
        """Ask for a user's assignment to be created (CreateAccountAssignment); its status."""
        return self.conn.create_account_assignment(**self._assignment(instance_arn, assignment, user_id))[
            "AccountAssignmentCreationStatus"
        ]

    def creation_status(self, instance_arn: str, request_id: str) -> dict[str, Any]:
        return self.conn.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=request_id
        )["AccountAssignmentCreationStatus"]
