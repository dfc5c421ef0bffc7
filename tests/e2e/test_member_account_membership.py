"""``iam_user_offboarding`` with ``account_id`` through the organization's connection, end to end on a moto server
holding an organization: an account that is not an ACTIVE member of it (suspended, or outside it, though its role
can be assumed) is refused before any call in it, and the person there keeps everything (issue 19 row 8)."""

from __future__ import annotations

import pytest

from sandbox.seed import EVERYTHING, seed_user
from tests.e2e.test_organization import MANAGEMENT, organization
from tests.fixtures.e2e import run_dag
from tests.helpers import holdings

pytestmark = pytest.mark.e2e

OUTSIDE = "999999999999"  # in no organization; moto lets its role be assumed all the same


@pytest.mark.parametrize("where", ["suspended", "outside"])
def test_offboarding_in_an_account_that_is_not_an_active_member_is_refused_and_changes_nothing(sandbox, where):
    accounts = organization(sandbox, "dev", "retired")
    sandbox.client("organizations").close_account(AccountId=accounts["retired"])
    account = accounts["retired"] if where == "suspended" else OUTSIDE
    iam = sandbox.client("iam", account)
    seed_user(iam, "departing", EVERYTHING)
    seed_user(sandbox.client("iam", accounts["dev"]), "departing", EVERYTHING)  # the same name in an ACTIVE member
    before = {a: holdings(sandbox.client("iam", a), "departing") for a in (account, accounts["dev"])}
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "departing", "account_id": account})

    assert result.state == "failed"
    assert [c for c in sandbox.calls() if c["account"] != MANAGEMENT] == []  # nothing at all in any member account
    assert sandbox.mutating_calls() == []
    assert {a: holdings(sandbox.client("iam", a), "departing") for a in before} == before
    reason = (
        f"account {account} is SUSPENDED in the organization of AWS connection aws_default, not ACTIVE"
        if where == "suspended"
        else f"account {account} is not a member of the organization of AWS connection aws_default"
    )
    assert any(f"{reason}; nothing was changed." in message for message in sandbox.messages), sandbox.messages
