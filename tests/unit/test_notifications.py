"""The Slack texts the lifecycle DAGs send."""

from __future__ import annotations

import pytest

from iam_lifecycle.notifications import dry_run_message
from tests.helpers import SMALL_PLAN

CALLER = "arn:aws:iam::123456789012:user/ops"
PLAN = SMALL_PLAN


def test_the_dry_run_message_lists_the_plan_and_the_reason():
    assert dry_run_message("alice", CALLER, PLAN, "JIRA-123").splitlines() == [
        "DRY RUN: offboarding IAM user alice as arn:aws:iam::123456789012:user/ops would remove:",
        "- managed policies: arn:aws:iam::aws:policy/ReadOnlyAccess",
        "- inline policies: inline-0",
        "- group memberships: none",
        "- access keys: AKIAEXAMPLE",
        "- SSH public keys: none",
        "- signing certificates: none",
        "- service-specific credentials: none",
        "- MFA devices: none",
        "- login profile: yes",
        "Reason: JIRA-123",
        "Nothing was changed.",
    ]


@pytest.mark.parametrize("reason", ["", None])
def test_the_dry_run_message_has_no_reason_line_without_a_reason(reason):
    text = dry_run_message("alice", CALLER, PLAN, reason)
    assert "Reason" not in text
    assert text == dry_run_message("alice", CALLER, PLAN)
