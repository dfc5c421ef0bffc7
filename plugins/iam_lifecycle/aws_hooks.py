"""The package's hooks for the AWS services besides IAM: who a run acts as (STS), where a console password is kept
(Secrets Manager), and which accounts an AWS Organization has (Organizations).

STS and Secrets Manager are the provider's hooks with this package's connection check, retries and member-account
sessions (:mod:`iam_lifecycle.sessions`); Organizations has no provider hook that lists accounts and units.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook as ProviderSecretsManagerHook
from airflow.providers.amazon.aws.hooks.sts import StsHook as ProviderStsHook

from iam_lifecycle.sessions import AdaptiveRetriesMixin, CheapCallerMixin, LifecycleHookMixin, RequiredConnectionMixin


class StsHook(LifecycleHookMixin, ProviderStsHook):
    """The provider's STS hook with this package's retry defaults; it can act in a member account."""

    def get_caller_arn(self) -> str:
        """
        ARN of the identity the hook acts as (STS GetCallerIdentity): the connection's, or the member role's.

        :raises AirflowFailException: the identity acts in another account than the member account, or, for the
            connection's own identity, than the connection extra's ``account_id``.
        """
        identity = self.conn.get_caller_identity()
        self.check_reached_account(identity["Account"])
        return identity["Arn"]


class SecretsManagerHook(LifecycleHookMixin, ProviderSecretsManagerHook):
    """The provider's Secrets Manager hook with this package's retry defaults."""

    def create_secret(self, name: str, value: str, description: str) -> str:
        """Create a secret; return its ARN."""
        return self.conn.create_secret(Name=name, SecretString=value, Description=description)["ARN"]


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
