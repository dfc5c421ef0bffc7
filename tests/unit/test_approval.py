"""A person approves before a run changes IAM: who may answer, when a run asks, what the approval page and Slack
say (the approval task itself: test_approval_gate.py; what Slack says: test_approval_messages.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iam_lifecycle.approval.answers import approvers, decision, decision_phrase
from iam_lifecycle.approval.pages import offboarding_request, organization_request, reconciliation_request
from iam_lifecycle.messages.texts import (
    containment_line,
)
from iam_lifecycle.reconciliation.flow import plan_reconciliation
from tests.helpers import SMALL_PLAN

ACCOUNT, SECOND = "123456789012", "111111111111"
AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ALICE = {"id": "alice", "name": "alice"}
APPROVED = {"chosen_options": ["Approve"], "params_input": {}, "responded_at": AT, "responded_by_user": ALICE}
REJECTED = {**APPROVED, "chosen_options": ["Reject"]}
#: What the scheduler's timeout sweep resumes the task with: the default (Reject), nobody, ``timedout``.
TIMED_OUT = {**REJECTED, "responded_by_user": None, "timedout": True}


# ---- who may answer, and whether a run asks --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "  ", "[]"])
def test_no_approvers_variable_means_anyone_allowed_to_act_on_the_dag(raw):
    assert approvers(raw) == []


def test_approvers_are_user_ids_or_id_and_name():
    assert approvers('["alice", {"id": "7", "name": "bob"}, {"id": 8}]') == [
        ALICE,
        {"id": "7", "name": "bob"},
        {"id": "8", "name": "8"},
    ]


@pytest.mark.parametrize("raw", ['"alice"', "alice", "{}", "[true]", "[null]", '[""]', '[{"name": "bob"}]'])
def test_a_malformed_approvers_variable_is_refused_rather_than_opened_to_everyone(raw):
    with pytest.raises(ValueError, match="iam_lifecycle_approvers"):
        approvers(raw)


# ---- the answer ------------------------------------------------------------------------------------------------


def test_an_answer_says_who_approved_or_rejected_and_a_timeout_never_approves():
    assert decision(APPROVED, 3600) == {
        "approved": True,
        "by": "alice",
        "at": "2026-06-01T12:00:00+00:00",
        "timed_out": False,
        "timeout_seconds": 3600,
    }
    assert decision(REJECTED, 3600)["approved"] is False
    timed_out = decision(TIMED_OUT, 86400)
    assert (timed_out["approved"], timed_out["by"], timed_out["timed_out"]) == (False, None, True)
    # Even an Approve with nobody behind it (which only a timeout produces) does not approve.
    assert decision({**TIMED_OUT, "chosen_options": ["Approve"]}, 60)["approved"] is False

    assert decision_phrase(decision(APPROVED, 60)) == "approved by alice"
    assert decision_phrase(decision(REJECTED, 60)) == "rejected by alice"
    assert decision_phrase(timed_out) == "no answer within 24 h"
    assert decision_phrase(decision(TIMED_OUT, 90)) == "no answer within 90 s"
    assert decision_phrase(decision(TIMED_OUT, 1800)) == "no answer within 30 min"


# ---- what the approval page shows --------------------------------------------------------------------------------


def stale(name: str, idle_days: int) -> dict:
    return {"user_name": name, "idle_days": idle_days, "idle_credentials": ["password"], "disabled_at": None}


def finding(account: str, conn: str, *entries: dict, revocable: tuple[dict, ...] = ()) -> dict:
    return {
        "aws_conn_id": conn,
        "account": account,
        "caller_arn": f"arn:aws:sts::{account}:user/moto",
        "users_scanned": 10,
        "stale": list(entries),
        "exempt": [],
        "unused_credentials": {"revocable": list(revocable), "exempt": [], "not_judged": []},
    }


FINDINGS = [
    finding(ACCOUNT, "aws_default", stale("a", 300), stale("b", 100)),
    finding(SECOND, "aws_second", stale("c", 200), stale("d", 95)),
]
REPORTS = {ACCOUNT: "file:///r/1.json", SECOND: "file:///r/2.json"}


def test_the_reconciliations_page_shows_per_account_each_user_its_idle_days_what_is_done_and_the_cap():
    plan = plan_reconciliation(FINDINGS, "disable", 3, "run-1", today="2026-06-01")

    request = reconciliation_request(plan, REPORTS)

    assert request["required"] is True
    assert request["subject"] == "Disable 3 IAM users in 2 accounts?"
    disabled = (
        "deny it every action (inline policy `iam-lifecycle-deny-all`), deactivate every active access key, "
        "delete the console password, tag `lifecycle:disabled-at=2026-06-01`"
    )
    assert request["body"].splitlines() == [
        "**Mode `disable`**: 3 users in 2 accounts, stalest first. Nothing is changed unless you approve; "
        "rejecting, or no answer in time, changes nothing.",
        "",
        f"#### Account {ACCOUNT} (aws_default)",
        "",
        "| user | idle days | what will be done |",
        "| --- | ---: | --- |",
        f"| a | 300 | {disabled} |",
        f"| b | 100 | {disabled} |",
        "",
        f"#### Account {SECOND} (aws_second)",
        "",
        "| user | idle days | what will be done |",
        "| --- | ---: | --- |",
        f"| c | 200 | {disabled} |",
        "",
        f"**Over the cap** (`max_users` = 3): 1 more user left alone (1 in {SECOND} (aws_second)).",
        "",
        "Reports: `file:///r/1.json`, `file:///r/2.json`",
    ]


def test_the_page_says_what_delete_and_revoke_will_do_to_each_user():
    delete = reconciliation_request(plan_reconciliation(FINDINGS, "delete", 10, "run-1"), REPORTS)
    assert delete["subject"] == "Delete 4 IAM users in 2 accounts?"
    assert (
        "| a | 300 | offboard: remove everything it holds, then delete the user (its own iam_user_offboarding run) |"
        in delete["body"].splitlines()
    )
    assert "**Over the cap** (`max_users` = 10): none." in delete["body"]

    credentials = [
        {"user_name": "dev", "credential": "access_key_2", "idle_days": 120},
        {"user_name": "dev", "credential": "password", "idle_days": 200},
    ]
    revocable = {"user_name": "dev", "idle_days": 200, "credentials": credentials}
    plan = plan_reconciliation([finding(ACCOUNT, "aws_default", revocable=(revocable,))], "revoke", 10, "run-1")
    revoke = reconciliation_request(plan, REPORTS)
    assert revoke["subject"] == "Revoke unused credentials of 1 IAM user in 1 account?"
    assert (
        "| dev | 200 | deactivate access key 2 (idle 120 days); delete console password (idle 200 days) |"
        in revoke["body"].splitlines()
    )


def test_long_lists_are_cut_and_the_report_has_the_rest():
    plan = plan_reconciliation(
        [finding(ACCOUNT, "aws_default", *(stale(f"u{i}", 300) for i in range(5)))], "delete", 5, "r"
    )
    lines = reconciliation_request(plan, REPORTS, limit=2)["body"].splitlines()
    assert [line.split(" | ")[0] for line in lines if line.startswith("| u") and line[3].isdigit()] == ["| u0", "| u1"]
    assert "| …and 3 more (see the report) | | |" in lines


def test_nobody_is_asked_in_report_mode_nor_when_the_plan_acts_on_nobody():
    assert reconciliation_request(plan_reconciliation(FINDINGS, "report", 10, "r"), REPORTS)["required"] is False
    assert reconciliation_request(plan_reconciliation(FINDINGS, "delete", 0, "r"), REPORTS)["required"] is False
    for mode in ("revoke", "disable", "delete"):  # any mode but report, once it selects someone
        revocable = {"user_name": "a", "idle_days": 300, "credentials": [{"credential": "password", "idle_days": 300}]}
        findings = [finding(ACCOUNT, "aws_default", stale("a", 300), revocable=(revocable,))]
        assert reconciliation_request(plan_reconciliation(findings, mode, 10, "r"), REPORTS)["required"] is True


def lookup(account: str, name: str, **state) -> dict:
    return {
        "aws_conn_id": "aws_org",
        "account_id": account,
        "account_name": name,
        "member_role_name": "IamLifecycleRole",
        **state,
    }


ORG_PLAN = {
    "present": [lookup(ACCOUNT, "dev", exists=True), lookup(SECOND, "prod", exists=True)],
    "absent": [lookup("222222222222", "sandbox", exists=False)],
    "failed": [lookup("333333333333", "broken", error="AccessDenied")],
    "confs": [{"user_name": "alice"}, {"user_name": "alice"}],
}
ORG_PARAMS = {"user_name": "alice", "organization_conn_id": "aws_org", "reason": "JIRA-12", "dry_run": False}


def test_the_organizations_page_shows_each_account_where_the_user_is_offboarded():
    request = organization_request(ORG_PLAN, ORG_PARAMS)

    assert request["required"] is True
    assert request["subject"] == "Delete IAM user alice in 2 accounts of the organization?"
    body = request["body"].splitlines()
    assert body[2:6] == [
        "| account | what will be done |",
        "| --- | --- |",
        f"| {ACCOUNT} dev | offboard: remove everything it holds, then delete the user (an iam_user_offboarding "
        "run through role IamLifecycleRole) |",
        f"| {SECOND} prod | offboard: remove everything it holds, then delete the user (an iam_user_offboarding "
        "run through role IamLifecycleRole) |",
    ]
    assert body[7:] == [
        "Absent from: 222222222222 sandbox.",
        "- Could not be looked for, nothing done there: 333333333333 broken: AccessDenied",
        "Reason: JIRA-12",
    ]
    # A dry run, or a user found nowhere, asks nobody.
    assert organization_request(ORG_PLAN, ORG_PARAMS | {"dry_run": True})["required"] is False
    assert organization_request({**ORG_PLAN, "present": [], "confs": []}, ORG_PARAMS)["required"] is False


PLAN = SMALL_PLAN
CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"


def test_the_offboardings_page_lists_every_item_that_will_be_removed():
    request = offboarding_request({"user_name": "alice", "reason": "JIRA-1"}, CALLER, PLAN, required=True)

    assert request["subject"] == f"Delete IAM user alice in account {ACCOUNT}?"
    assert request["body"].splitlines()[2:] == [
        "| kind | what will be removed |",
        "| --- | --- |",
        "| managed policies | arn:aws:iam::aws:policy/ReadOnlyAccess |",
        "| inline policies | inline-0 |",
        "| group memberships | none |",
        "| access keys | AKIAEXAMPLE |",
        "| SSH public keys | none |",
        "| signing certificates | none |",
        "| service-specific credentials | none |",
        "| MFA devices | none |",
        "| login profile | yes |",
        "",
        containment_line("alice"),
        "",
        "Reason: JIRA-1",
    ]
    member = offboarding_request({"user_name": "alice", "account_id": SECOND}, CALLER, PLAN, required=False)
    assert member["subject"] == f"Delete IAM user alice in account {SECOND}?" and member["required"] is False
