"""What Slack says of an approval: the request with its link, and who approved or refused, in each DAG's message."""

from __future__ import annotations

from iam_lifecycle.approval.answers import decision
from iam_lifecycle.messages.summaries import organization_offboarding_message, reconciliation_message
from iam_lifecycle.messages.texts import approval_decision_message, approval_request_message, offboarding_message
from iam_lifecycle.reconciliation.flow import plan_reconciliation
from tests.unit.test_approval import (
    ACCOUNT,
    APPROVED,
    CALLER,
    FINDINGS,
    ORG_PARAMS,
    ORG_PLAN,
    PLAN,
    REJECTED,
    REPORTS,
    SECOND,
    TIMED_OUT,
)


def test_slack_gets_the_link_who_may_answer_and_what_a_timeout_does():
    link = "http://airflow.example/dags/d/runs/r/tasks/approve_changes/required_actions?map_index=-1"

    assert approval_request_message("d", "r", "approve_changes", "Delete 2?", link, ["alice", "bob"], 86400) == (
        "Approval needed: Delete 2?\n"
        f"d run r waits for a person to approve or reject it: {link}\n"
        "Who may answer: alice, bob. With no answer within 24 h, nothing is changed."
    )
    no_base_url = approval_request_message("d", "r", "approve_changes", "Delete 2?", None, [], 60)
    assert "task approve_changes of the run in the Airflow UI (set [api] base_url for a link)" in no_base_url
    assert "Who may answer: anyone allowed to act on this DAG's runs. With no answer within 1 min" in no_base_url
    assert approval_decision_message("d", "r", "Delete 2?", "rejected by bob") == (
        "Not approved: Delete 2? (d run r): rejected by bob. Nothing was changed."
    )


def test_the_deletion_message_names_the_approver():
    outcome = {"deleted": True, "confirmed_by_retry": False, "gone_before": False, "leftovers": {}, "addenda": []}
    snapshot = {"uri": "file:///s.json", "earlier": []}

    text = offboarding_message("alice", CALLER, None, PLAN, snapshot, outcome, approved_by="bob")

    assert text.splitlines()[0] == f"IAM user alice deleted by {CALLER}, approved by bob"
    assert offboarding_message("alice", CALLER, None, PLAN, snapshot, outcome).splitlines()[0] == (
        f"IAM user alice deleted by {CALLER}"
    )


def test_the_reconciliation_report_says_who_approved_or_refused_and_then_that_nothing_changed():
    plan = plan_reconciliation(FINDINGS, "disable", 3, "run-1", today="2026-06-01")

    approved = reconciliation_message(plan, REPORTS, "run-1", 90, approval=decision(APPROVED, 60)).splitlines()
    rejected = reconciliation_message(plan, REPORTS, "run-1", 90, approval=decision(REJECTED, 60)).splitlines()
    timed_out = reconciliation_message(plan, REPORTS, "run-1", 90, approval=decision(TIMED_OUT, 86400)).splitlines()

    assert approved[-3:-1] == [
        f"Disabled 3 (denied every action, access keys deactivated, console password deleted, "
        "tagged lifecycle:disabled-at): "
        f"a ({ACCOUNT}), c ({SECOND}), b ({ACCOUNT})",
        "Approved by alice.",
    ]
    assert rejected[-2:] == [
        "Not approved (rejected by alice): nothing was changed.",
        "Not touched, over the cap (max_users=3): 1 stale user.",
    ]
    assert timed_out[-2] == "Not approved (no answer within 24 h): nothing was changed."
    assert not any(line.startswith("Disabled") for line in rejected + timed_out)


def test_the_organizations_summary_says_who_approved_or_refused():
    ended = [{**e, "run_id": f"r{i}", "state": "success"} for i, e in enumerate(ORG_PLAN["present"])]

    approved = organization_offboarding_message(ORG_PARAMS, "run-1", ORG_PLAN, ended, approval=decision(APPROVED, 60))
    rejected = organization_offboarding_message(ORG_PARAMS, "run-1", ORG_PLAN, [], approval=decision(REJECTED, 60))

    assert approved.splitlines()[1] == f"Deleted in: {ACCOUNT} dev, {SECOND} prod (approved by alice)"
    assert rejected.splitlines()[1] == "Not approved (rejected by alice): nothing was changed"
    assert "FAILED in 333333333333 broken: could not look for the user: AccessDenied" in rejected
