"""The package's hooks for the AWS services besides IAM that act on a run's account: who a run acts as (STS), and
where a console password is kept (Secrets Manager).

Both are the provider's hooks with this package's connection check, retries and member-account sessions
(:mod:`iam_lifecycle.aws.sessions`). The Organizations hook is in :mod:`iam_lifecycle.aws.organizations_hook`.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook as ProviderSecretsManagerHook
from airflow.providers.amazon.aws.hooks.sts import StsHook as ProviderStsHook

from iam_lifecycle.aws.sessions import LifecycleHookMixin


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
