"""What a person types into a trigger form: the params the DAGs share, and their validation.

Optional params admit null: Airflow's form sends an emptied field as null, and a param that refuses it would
make the form refuse to submit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow.sdk import Param

from iam_lifecycle.approval.answers import DEFAULT_TIMEOUT_SECONDS
from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY
from iam_lifecycle.aws.sessions import DEFAULT_MEMBER_ROLE
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.identity_center.names import USER_NAME as IDENTITY_CENTER_USER_NAME
from iam_lifecycle.patterns import ACCOUNT_ID, CONN_ID, IAM_NAME, PARENT_ID, schema_pattern

#: IAM's own rule for user names, as a whole-value JSON-schema pattern (see :mod:`iam_lifecycle.patterns`).
IAM_USER_NAME_PATTERN = schema_pattern(IAM_NAME)
#: The longest an approval may wait: past a week the plan a person would approve is stale (and a huge number
#: once overflowed the approval's timedelta, after the run had begun).
MAX_APPROVAL_TIMEOUT_SECONDS = 7 * 86400
#: The most accounts one trigger may leave out, and the most units (or roots) it may name: bounds, so a pasted
#: list cannot make a run of thousands of Organizations calls.
MAX_EXCLUDED_ACCOUNTS = 1000
MAX_ORGANIZATIONAL_UNITS = 100


def unknown_conf_keys_reason(
    conf: Mapping[str, Any] | None, params: Iterable[str], also: Iterable[str] = ()
) -> str | None:
    """
    Why a run's conf cannot be acted on because it has keys that are not params of the DAG (nor in ``also``: keys
    no trigger form offers, which the tasks that read them check), naming each, or None.

    Airflow ignores such keys: ``"dryRun": true`` (or ``"dry_run "``) would be read as no dry run at all.
    """
    names = set(params)
    unknown = sorted(set(conf or {}) - names - set(also))
    if not unknown:
        return None
    keys = ", ".join(repr(key) for key in unknown)
    said = f"conf key {keys} is not a param" if len(unknown) == 1 else f"conf keys {keys} are not params"
    return f"{said} of this DAG (its params: {', '.join(sorted(names))})"


def refuse_unknown_conf_keys(context: Mapping[str, Any]) -> None:
    """
    Fail the task, changing nothing, when the run's conf has a key that is not a param of its DAG (see
    :func:`unknown_conf_keys_reason`). Each DAG's first tasks call it, before any AWS call.
    """
    dag_run, dag = context.get("dag_run"), context.get("dag")
    if dag_run is None or dag is None:  # an operator executed on its own, outside any run
        return
    # A run another DAG starts after its own approval names that run; the changing tasks check it.
    if reason := unknown_conf_keys_reason(getattr(dag_run, "conf", None), dag.params, also=[APPROVAL_RUN_KEY]):
        raise nothing_changed(reason)


def user_name_param(description: str) -> Param:
    """The required ``user_name`` trigger param: an IAM user's name as IAM accepts it."""
    return Param(type="string", pattern=IAM_USER_NAME_PATTERN, title="IAM user name", description=description)


def reason_param(description: str) -> Param:
    """The optional ``reason`` trigger param: free text, e.g. a ticket number."""
    return Param("", type=["null", "string"], title="Reason", description=description)


def dry_run_param(description: str) -> Param:
    """The ``dry_run`` trigger param: post the plan, change nothing."""
    return Param(False, type="boolean", title="Dry run", description=description)


def organization_params(conn_default: str | None, conn_description: str) -> dict[str, Param]:
    """The params that choose an organization's accounts: its connection, the member role, exclusions and OUs."""
    return {
        "organization_conn_id": organization_conn_id_param(conn_default, conn_description),
        "member_role_name": member_role_name_param(),
        "exclude_account_ids": exclude_account_ids_param(),
        "organizational_unit_ids": organizational_unit_ids_param(),
    }


def aws_conn_id_param(description: str) -> Param:
    """The ``aws_conn_id`` trigger param: which Airflow connection (so which AWS account) to act in."""
    return Param(
        "aws_default", type="string", pattern=schema_pattern(CONN_ID), title="AWS connection", description=description
    )


def account_id_param() -> Param:
    """The optional ``account_id`` trigger param: a member account of an organization to act in through its role."""
    description = (
        "Optional: the 12-digit id of a member account of an AWS Organization. Every AWS call then goes through "
        "that account's role (below), assumed with the credentials of the AWS connection."
    )
    # Null (or empty) means the connection's own account.
    return Param(
        None,
        type=["null", "string"],
        pattern=schema_pattern(ACCOUNT_ID, empty=True),
        title="Member account id",
        description=description,
    )


def member_role_name_param() -> Param:
    """The ``member_role_name`` trigger param: the role assumed in each member account."""
    return Param(
        DEFAULT_MEMBER_ROLE,
        type=["null", "string"],
        pattern=schema_pattern(IAM_NAME),
        title="Member role name",
        description="The IAM role assumed in a member account (policies/member-role.json); empty means "
        f"{DEFAULT_MEMBER_ROLE}.",
    )


def organization_conn_id_param(default: str | None, description: str) -> Param:
    """
    The ``organization_conn_id`` trigger param: the AWS connection into an organization's management account;
    optional (null: no organization) when its default is None, else required.
    """
    return Param(
        default,
        type=["null", "string"] if default is None else "string",
        pattern=schema_pattern(CONN_ID, empty=default is None),
        title="AWS Organization connection",
        description=description,
    )


def exclude_account_ids_param() -> Param:
    """The ``exclude_account_ids`` trigger param: organization accounts never read nor acted in."""
    return Param(
        [],
        type=["null", "array"],
        items={"type": "string", "pattern": schema_pattern(ACCOUNT_ID)},
        maxItems=MAX_EXCLUDED_ACCOUNTS,
        title="Accounts to leave out",
        description="12-digit ids of the organization's accounts to leave out: no call is made in them.",
    )


def organizational_unit_ids_param() -> Param:
    """The ``organizational_unit_ids`` trigger param: only the accounts under these OUs (or roots)."""
    return Param(
        [],
        type=["null", "array"],
        items={"type": "string", "pattern": schema_pattern(PARENT_ID)},
        maxItems=MAX_ORGANIZATIONAL_UNITS,
        title="Organizational units",
        description="Only the accounts under these organizational units (ou-…) or roots (r-…), at any depth; "
        "empty: every account of the organization.",
    )


def approval_timeout_param() -> Param:
    """The ``approval_timeout`` trigger param: how long the approval waits for an answer before nothing is changed."""
    return Param(
        DEFAULT_TIMEOUT_SECONDS,
        type="integer",
        minimum=1,
        maximum=MAX_APPROVAL_TIMEOUT_SECONDS,
        title="Approval timeout (seconds)",
        description="How long the approval waits for a person's answer (86400: 24 hours; 604800, a week, at most). "
        "With no answer by then, nothing is changed and Slack says so.",
    )


def identity_center_param() -> Param:
    """The ``identity_center`` trigger param: whether the person is also removed from IAM Identity Center."""
    return Param(
        None,
        type=["null", "boolean"],
        title="IAM Identity Center",
        description="Also remove the person from IAM Identity Center: its account assignments, group memberships "
        "and user. Empty: yes when the organization has an Identity Center instance; false: Identity Center is "
        "not read.",
    )


def identity_center_user_name_param() -> Param:
    """The ``identity_center_user_name`` trigger param: the person's UserName in the identity store."""
    return Param(
        None,
        type=["null", "string"],
        pattern=schema_pattern(IDENTITY_CENTER_USER_NAME, empty=True),
        title="Identity Center user name",
        description="The person's UserName in the Identity Center identity store, e.g. alice@example.com. "
        "Empty: the IAM user name.",
    )
