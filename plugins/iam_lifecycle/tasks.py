"""TaskFlow tasks shared by the lifecycle DAGs (safety checks, plan, snapshot)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from airflow.sdk import get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle import protection, snapshots
from iam_lifecycle.hooks import IamHook

log = logging.getLogger(__name__)


@task
def check_protection(user: dict[str, Any], caller_arn: str) -> None:
    """Fail (without retry) when the user is protected; see :mod:`iam_lifecycle.protection`."""
    try:
        patterns = protection.protected_patterns()
    except ValueError as error:
        raise AirflowFailException(f"{error}; nothing was changed.") from None
    if reason := protection.protection_reason(user, caller_arn, patterns):
        raise AirflowFailException(f"{reason}; nothing was changed.")


@task
def plan_offboarding(managed_policies: list[str], dependencies: dict[str, Any]) -> dict[str, Any]:
    """Everything a real run removes, by kind: names, ARNs or ids (``login_profile``: yes/no)."""
    plan = {"managed_policies": managed_policies, **dependencies}
    plan.pop("access_key_details", None)
    return plan


@task.short_circuit
def is_dry_run(params: dict[str, Any]) -> bool:
    """Go on to post the plan only in a dry run."""
    return bool(params["dry_run"])


@task.short_circuit
def is_real_run(params: dict[str, Any]) -> bool:
    """Skip every change (whatever the downstream trigger rules) in a dry run."""
    return not params["dry_run"]


@task
def take_snapshot(
    user: dict[str, Any],
    caller_arn: str,
    managed_policies: list[str],
    dependencies: dict[str, Any],
    aws_conn_id: str = "aws_default",
) -> str:
    """
    Write the user's snapshot (see :mod:`iam_lifecycle.snapshots`) and return its URI; fail if it can't.

    :param aws_conn_id: connection of the user's account (the snapshot store always uses ``aws_default``).
    """
    context = get_current_context()
    return write_user_snapshot(
        IamHook(aws_conn_id=aws_conn_id),
        user,
        caller_arn,
        managed_policies,
        dependencies,
        run_id=context["run_id"],
        reason=context["params"].get("reason", ""),
    )


def write_user_snapshot(
    hook: IamHook,
    user: dict[str, Any],
    caller_arn: str,
    managed_policies: list[str],
    dependencies: dict[str, Any],
    *,
    run_id: str,
    reason: str,
) -> str:
    """
    Fetch the inline policies' documents, write the user's snapshot and return its URI; raise if it can't.

    The one snapshot code path: offboarding's :func:`take_snapshot` and the reconciliation's disabling use it.

    :param hook: a hook on the user's account.
    :param user: as ``GetUserOperator`` (or ``IamHook.describe_user``) returns it.
    :param dependencies: as ``IamHook.list_dependencies`` returns it.
    """
    documents = {
        name: hook.get_user_policy_document(user["UserName"], name) for name in dependencies["inline_policies"]
    }
    snapshot = snapshots.build_snapshot(
        user,
        managed_policies,
        dependencies,
        documents,
        run_id=run_id,
        caller_arn=caller_arn,
        reason=reason,
        # Each attempt writes its own snapshot: a retry after a partial removal must not replace the first.
        taken_at=datetime.datetime.now(datetime.UTC),
    )
    uri = snapshots.write_snapshot(snapshot, snapshots.storage_root())
    log.info("Snapshot of %s written to %s", user["UserName"], uri)
    return uri
