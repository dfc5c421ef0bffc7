"""The Slack texts the lifecycle DAGs send."""

from __future__ import annotations

import pytest

from iam_lifecycle.messages.texts import containment_line, dry_run_message, offboarding_message
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
        containment_line("alice"),
        "Reason: JIRA-123",
        "Nothing was changed.",
    ]


@pytest.mark.parametrize("reason", ["", None])
def test_the_dry_run_message_has_no_reason_line_without_a_reason(reason):
    text = dry_run_message("alice", CALLER, PLAN, reason)
    assert "Reason" not in text
    assert text == dry_run_message("alice", CALLER, PLAN)


def test_the_offboarding_message_counts_what_this_run_removed_and_names_every_addendum():
    removals = {
        "login_profile": {"removed": ["alice"], "already_gone": []},
        "managed_policies": {"removed": PLAN["managed_policies"], "already_gone": []},
        "inline_policies": {"removed": [], "already_gone": ["inline-0"]},  # removed by someone else meanwhile
        "access_keys": {"removed": ["AKIAEXAMPLE"], "already_gone": []},
    }
    outcome = {
        "deleted": True,
        "confirmed_by_retry": False,
        "gone_before": False,
        "leftovers": {"groups": ["late"], "access_keys": ["AKIALATE1", "AKIALATE2"]},
        "addenda": ["file:///s/1.addendum.json", "file:///s/2.addendum.json"],  # the second from a retried try
    }
    snapshot = {"uri": "file:///s/0.json", "earlier": []}

    text = offboarding_message("alice", CALLER, None, PLAN, snapshot, outcome, removals=removals)

    assert text.splitlines() == [
        f"IAM user alice deleted by {CALLER}",
        "Removed: 1 managed policy, 1 access key, 1 login profile",
        "Already gone when this run came to remove them: 1 inline policy",
        "Also removed, added during the run: 1 group membership, 2 access keys "
        "(recorded in file:///s/1.addendum.json, file:///s/2.addendum.json)",
        "Snapshot: file:///s/0.json",
    ]


def test_a_user_deleted_by_someone_else_is_reported_with_what_this_run_removed():
    removals = {
        "managed_policies": {"removed": [], "already_gone": PLAN["managed_policies"]},
        "login_profile": {"removed": [], "already_gone": ["alice"]},
    }
    outcome = {"deleted": False, "confirmed_by_retry": False, "gone_before": True, "leftovers": {}, "addenda": []}

    text = offboarding_message("alice", CALLER, None, PLAN, {"uri": "u", "earlier": []}, outcome, removals=removals)

    assert "this run removed nothing before that" in text


def test_no_password_to_delete_is_not_news_when_the_listing_found_none():
    """The sign-in task calls DeleteLoginProfile whatever the listing said; NoSuchEntity then is no news."""
    removals = {"login_profile": {"removed": [], "already_gone": ["alice"]}}
    outcome = {"deleted": True, "confirmed_by_retry": False, "gone_before": False, "leftovers": {}, "addenda": []}
    plan = PLAN | {"login_profile": False}

    text = offboarding_message("alice", CALLER, None, plan, {"uri": "u", "earlier": []}, outcome, removals=removals)

    assert "Already gone" not in text


def test_the_dry_runs_plan_is_in_the_task_log_as_well_as_in_slack(caplog):
    """A person reading the describe_plan task's log finds the plan there, not only under Rendered Templates."""
    from iam_lifecycle.offboarding.dag_tasks import describe_plan

    with caplog.at_level("INFO", logger="iam_lifecycle.offboarding.dag_tasks"):
        text = describe_plan.function({"user_name": "alice", "reason": "JIRA-123"}, CALLER, PLAN)
    assert text == dry_run_message("alice", CALLER, PLAN, "JIRA-123")
    assert text in caplog.text
