"""Member accounts with known ids in an in-process moto organization (moto draws each new account's id at random)."""

from __future__ import annotations

from unittest import mock

from moto.organizations import utils as moto_organizations_utils


def add_member_account(orgs, account_id: str, name: str, *, suspended: bool = False) -> str:
    """
    Create the account ``account_id`` in the organization of the ``orgs`` client (moto's CreateAccount, with its id
    chosen); ``suspended``: then closed (moto's CloseAccount makes it SUSPENDED). Returns the id.
    """
    with mock.patch.object(moto_organizations_utils, "make_random_account_id", return_value=account_id):
        created = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    assert created["AccountId"] == account_id
    if suspended:
        orgs.close_account(AccountId=account_id)
    return account_id
