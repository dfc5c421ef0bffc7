"""The task both many-account DAGs start with: the accounts a run reads and acts in."""

from __future__ import annotations

from typing import Any

from airflow.sdk import get_current_context, task

from iam_lifecycle.accounts import targets
from iam_lifecycle.authoring.params import refuse_unknown_conf_keys


@task
def list_accounts(params: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The accounts this run reads and acts in: one per AWS connection of `aws_conn_ids`, or, with
    `organization_conn_id`, the organization's ACTIVE accounts (under `organizational_unit_ids` if given, minus
    `exclude_account_ids`), each reached through the member role. Bad params, and conf keys that are no params,
    are refused here, before any other call.
    """
    refuse_unknown_conf_keys(get_current_context())
    return targets.list_targets(params)
