"""The reconciliation's modes: each one the trigger form offers is one the approval policy and the plan know."""

from __future__ import annotations

import pytest

from iam_lifecycle.approval.policy import CHANGES
from iam_lifecycle.reconciliation.flow import plan_reconciliation
from iam_lifecycle.reconciliation.modes import MODES, mode_named
from tests.helpers import project_dagbag


def test_the_trigger_form_offers_exactly_the_declared_modes():
    param = project_dagbag().dags["iam_stale_user_reconciliation"].params.get_param("mode")
    assert param.schema["enum"] == list(MODES)
    assert all(f"{name}: " in param.description for name in MODES)


def test_every_mode_that_changes_iam_has_an_approval_policy_entry_and_report_has_none():
    assert {mode.name for mode in MODES.values() if mode.changes} <= set(CHANGES)
    assert "report" not in CHANGES


@pytest.mark.parametrize("name", ["Delete", "delete\n", "", None])
def test_a_mode_is_matched_whole_and_an_unknown_one_is_refused(name):
    with pytest.raises(ValueError, match="mode must be one of report, revoke, disable, delete"):
        mode_named(name)
    with pytest.raises(ValueError, match="mode must be one of"):
        plan_reconciliation([], name, 5, "run")
