"""Which AWS accounts a run acts in: the accounts of explicit connections, or the accounts of an AWS Organization.

A **target** is plain data, one account to scan or act in: ``{"aws_conn_id", "account_id", "account_name",
"member_role_name"}``.

- From an explicit connection (:func:`connection_target`): ``account_id``, ``account_name`` and
  ``member_role_name`` are None, and the connection's own credentials act in its own account, as always.
- From an organization (:func:`organization_targets`): ``aws_conn_id`` is the organization connection (into the
  management account or a delegated administrator), whose credentials assume ``member_role_name`` in
  ``account_id`` (:class:`aws.sessions.MemberAccountMixin`; :func:`aws.sessions.account_hook` builds
  the hook of a target).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from iam_lifecycle.aws.organizations_hook import OrganizationsHook
from iam_lifecycle.aws.sessions import DEFAULT_MEMBER_ROLE
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.patterns import ACCOUNT_ID, PARENT_ID, is_whole

DEFAULT_AWS_CONN_IDS = ["aws_default"]
#: How many accounts one run reads at once (one mapped task each). Each account has its own IAM rate limits, but
#: the workers, and the organization connection's STS AssumeRole calls, are shared.
MAX_ACCOUNTS_AT_ONCE = 16


def connection_target(aws_conn_id: str) -> dict[str, Any]:
    """The account an explicit connection acts in with its own credentials."""
    return {"aws_conn_id": aws_conn_id, "account_id": None, "account_name": None, "member_role_name": None}


def member_target(aws_conn_id: str, account: dict[str, Any], member_role_name: str | None) -> dict[str, Any]:
    """A member account (as Organizations lists it) reached through its role, assumed with ``aws_conn_id``."""
    return {
        "aws_conn_id": aws_conn_id,
        "account_id": account["Id"],
        "account_name": account.get("Name"),
        "member_role_name": member_role_name or DEFAULT_MEMBER_ROLE,
    }


def member_fields(target: dict[str, Any]) -> dict[str, Any]:
    """The target's member-account fields, to carry in findings and offboarding confs; empty for a connection."""
    if not target.get("account_id"):
        return {}
    return {key: target[key] for key in ("account_id", "account_name", "member_role_name")}


def target_label(target: dict[str, Any]) -> str:
    """How a target is named in the UI and in messages: its connection, or ``<account id> <name>``."""
    if not target.get("account_id"):
        return target["aws_conn_id"]
    return f"{target['account_id']} {target.get('account_name') or ''}".strip()


def _is_active(account: dict[str, Any]) -> bool:
    # Organizations replaces Status with State (which adds e.g. PENDING_CLOSURE, SUSPENDED); read either.
    return account.get("State", account.get("Status")) == "ACTIVE"


def _accounts_under(hook: OrganizationsHook, parent_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The accounts under each root or organizational unit, recursively (every child OU, to any depth)."""
    accounts: list[dict[str, Any]] = []
    pending, seen = list(parent_ids), set()
    while pending:
        parent = pending.pop()
        if parent in seen:
            continue
        seen.add(parent)
        try:
            accounts.extend(hook.list_accounts_for_parent(parent))
            pending.extend(hook.list_organizational_units_for_parent(parent))
        except hook.conn.exceptions.ParentNotFoundException:
            raise nothing_changed(
                f"organizational unit or root {parent} does not exist in the organization of {hook.aws_conn_id}"
            ) from None
    return accounts


def invalid_ids_reason(exclude_account_ids: Iterable[str], organizational_unit_ids: Iterable[str]) -> str | None:
    """
    Why the exclusions or OUs cannot be used, or None: each must be a whole id, as AWS spells it; an excluded
    ``"<id>\\n"`` would compare unequal to the account's id and leave out nothing.
    """
    for value in exclude_account_ids:
        if not is_whole(ACCOUNT_ID, value):
            return f"exclude_account_ids: {value!r} is not a 12-digit AWS account id"
    for value in organizational_unit_ids:
        if not is_whole(PARENT_ID, value):
            return f"organizational_unit_ids: {value!r} is not an organizational unit id (ou-…) nor a root id (r-…)"
    return None


def organization_targets(
    organization_conn_id: str,
    member_role_name: str | None = DEFAULT_MEMBER_ROLE,
    *,
    exclude_account_ids: Iterable[str] = (),
    organizational_unit_ids: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """
    The organization's ACTIVE accounts, by account id, minus ``exclude_account_ids``, each a target reached
    through ``member_role_name``. The management account is one of them (ListAccounts lists it).

    Without ``organizational_unit_ids``: one paginated ListAccounts. With them: only the accounts under those OUs
    (or roots), at any depth: ListAccountsForParent and ListOrganizationalUnitsForParent per OU, paginated.

    :raises AirflowFailException: an excluded id or an OU id is not whole (:func:`invalid_ids_reason`), before
        any call; an OU or root does not exist; or no account is left to act in. Nothing was changed.
    """
    units, excluded = list(organizational_unit_ids or []), set(exclude_account_ids or [])
    if reason := invalid_ids_reason(sorted(excluded), units):
        raise nothing_changed(reason)
    hook = OrganizationsHook(aws_conn_id=organization_conn_id)
    listed = _accounts_under(hook, units) if units else hook.list_accounts()
    accounts = {a["Id"]: a for a in listed if _is_active(a) and a["Id"] not in excluded}
    if not accounts:
        # An empty list would skip every mapped task, and the tasks after them would meet no XCom.
        where = f"is under the organizational units {', '.join(units)}" if units else "is left"
        if excluded:
            where += " once exclude_account_ids are left out"
        raise nothing_changed(f"no ACTIVE account of the organization of {organization_conn_id} {where}")
    return [member_target(organization_conn_id, accounts[i], member_role_name) for i in sorted(accounts)]


def conflicting_params_reason(params: dict[str, Any]) -> str | None:
    """
    Why the params cannot say which accounts to act in, or None: ``organization_conn_id`` and a non-default
    ``aws_conn_ids`` given together, or exclusions or OUs without an organization.
    """
    organization = params.get("organization_conn_id")
    aws_conn_ids = list(params.get("aws_conn_ids") or DEFAULT_AWS_CONN_IDS)
    if organization and aws_conn_ids != DEFAULT_AWS_CONN_IDS:
        return (
            f"give organization_conn_id ({organization}: every account of the organization) or aws_conn_ids "
            f"({', '.join(aws_conn_ids)}: one connection per account), not both"
        )
    if not organization and (params.get("exclude_account_ids") or params.get("organizational_unit_ids")):
        return "exclude_account_ids and organizational_unit_ids need organization_conn_id"
    return None


def list_targets(params: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The targets a run's params name: the organization's accounts when ``organization_conn_id`` is set, else one
    per connection of ``aws_conn_ids`` (each once).

    :raises AirflowFailException: :func:`conflicting_params_reason` gives a reason; nothing was changed.
    """
    if reason := conflicting_params_reason(params):
        raise nothing_changed(reason)
    if organization := params.get("organization_conn_id"):
        return organization_targets(
            organization,
            params.get("member_role_name"),
            exclude_account_ids=params.get("exclude_account_ids") or [],
            organizational_unit_ids=params.get("organizational_unit_ids") or [],
        )
    return [connection_target(conn_id) for conn_id in dict.fromkeys(params["aws_conn_ids"])]
