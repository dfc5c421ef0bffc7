"""The hooks that act with a connection's own credentials, never in a member account: the Organization it manages
(Organizations has no provider hook that lists accounts and units), and the connection's own STS identity.

:mod:`iam_lifecycle.aws.sessions` uses both before it assumes a member role: whose credentials assume it, and whether
the account is an ACTIVE member.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.sts import StsHook

from iam_lifecycle.aws.base import AdaptiveRetriesMixin, CheapCallerMixin, RequiredConnectionMixin


class ConnectionStsHook(RequiredConnectionMixin, AdaptiveRetriesMixin, CheapCallerMixin, StsHook):
    """The provider's STS hook on the connection's own credentials (who the connection is)."""


class OrganizationsHook(RequiredConnectionMixin, AdaptiveRetriesMixin, CheapCallerMixin, AwsBaseHook):
    """Read an AWS Organization's accounts and organizational units (from its management or delegated account)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["client_type"] = "organizations"
        super().__init__(*args, **kwargs)

    def _paginate(self, operation: str, result_key: str, **kwargs) -> list[Any]:
        items: list[Any] = []
        for page in self.conn.get_paginator(operation).paginate(**kwargs):
            items.extend(page[result_key])
        return items

    def describe_account(self, account_id: str) -> dict[str, Any]:
        """One account of the organization (DescribeAccount): ``Id``, ``Name``, ``Status``, ``State``…"""
        return self.conn.describe_account(AccountId=account_id)["Account"]

    def list_accounts(self) -> list[dict[str, Any]]:
        """Every account of the organization (ListAccounts, all pages): ``Id``, ``Name``, ``Status``…"""
        return self._paginate("list_accounts", "Accounts")

    def list_accounts_for_parent(self, parent_id: str) -> list[dict[str, Any]]:
        """The accounts right under a root or organizational unit (not those of its child OUs)."""
        return self._paginate("list_accounts_for_parent", "Accounts", ParentId=parent_id)

    def list_organizational_units_for_parent(self, parent_id: str) -> list[str]:
        """Ids of the organizational units right under a root or organizational unit."""
        units = self._paginate("list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id)
        return [unit["Id"] for unit in units]
