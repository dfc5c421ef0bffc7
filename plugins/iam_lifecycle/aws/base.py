"""What every hook of the package shares with the provider's, whatever account it acts in.

- :class:`RequiredConnectionMixin`: a connection that does not exist fails before any AWS call (the provider alone
  would fall back on the worker's own credentials, and act in whatever account those reach).
- :class:`AdaptiveRetriesMixin`: botocore's adaptive retry mode unless retries were configured.
- :class:`CheapCallerMixin`: the provider's user agent without reading the source of every frame on the stack.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from botocore.config import Config

from iam_lifecycle.aws.connections import aws_connection

if TYPE_CHECKING:
    from airflow.sdk import Connection

#: Used unless the connection extra (``config_kwargs``) or the operator (``botocore_config``) sets retries.
#: Adaptive mode retries throttling and transient errors with a client-side rate limiter, which matters
#: because IAM's rate limits are account-wide.
DEFAULT_RETRIES = {"mode": "adaptive", "total_max_attempts": 10}


class RequiredConnectionMixin:
    """
    Fail (without retries, before any AWS call) when the hook's ``aws_conn_id`` names no connection.

    ``AwsBaseHook.conn_config`` resolves the connection through ``get_connection`` and, on
    ``AirflowNotFoundException``, carries on with the worker's own credentials: a typo would act in whatever
    account those reach. ``aws_conn_id=None`` still means the boto3 credential chain, as in the provider.
    """

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        return aws_connection(conn_id)


class AdaptiveRetriesMixin:
    """Give a hook's clients botocore's adaptive retry mode unless retries were configured explicitly."""

    @property
    def config(self) -> Config:
        configured = super().config  # type: ignore[misc]
        if configured.retries:
            return configured
        return configured.merge(Config(retries=DEFAULT_RETRIES))


class CheapCallerMixin:
    """
    Name the operator that uses the hook (the provider's user agent ``Caller/…``) without ``inspect.stack()``.

    The provider finds it with ``inspect.stack()``, which reads the source file of every frame on the stack: a
    fifth of a task's CPU on a Celery worker (measured; see BENCHMARKS.md). The frames alone tell the same: the
    class of ``self`` in the innermost ``execute`` (or ``target_function_name``) call.
    """

    def _get_caller(self, target_function_name: str = "execute") -> str:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == target_function_name and "self" in frame.f_locals:
                return type(frame.f_locals["self"]).__name__
            frame = frame.f_back
        return "Unknown"
