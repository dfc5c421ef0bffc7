"""Stale-user reconciliation when accounts cannot be read: each is a finding with its error, named beside the others,
and the run fails once Slack was told."""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.messages.summaries import reconciliation_message
from iam_lifecycle.reconciliation.flow import (
    account_errors_reason,
    find_in_account,
    plan_reconciliation,
)
from iam_lifecycle.reconciliation.reports import account_report
from tests.unit.test_reconciliation import ACCOUNT, NOW, finding, stale

TYPO = {
    "aws_conn_id": "aws_typo",
    "account": None,
    "error": "AWS connection aws_typo does not exist; nothing was changed.",
}


@pytest.fixture
def deny_credential_report():
    """IAM answers GenerateCredentialReport with AccessDenied (a botocore handler, before the request is sent)."""
    from botocore.awsrequest import AWSResponse
    from botocore.handlers import BUILTIN_HANDLERS

    def deny(**kwargs):
        error = {"Code": "AccessDenied", "Message": f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized"}
        return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), {"Error": error}

    handler = ("before-call.iam.GenerateCredentialReport", deny)
    BUILTIN_HANDLERS.append(handler)
    yield
    BUILTIN_HANDLERS.remove(handler)


def test_a_missing_connection_is_a_finding_with_its_error_and_makes_no_iam_call(aws, iam_calls):
    assert find_in_account("aws_typo", NOW, 90, [], poll_seconds=0) == TYPO
    assert iam_calls == []


def test_a_connection_reaching_another_account_is_a_finding_and_sts_is_asked_first(aws, iam_calls, monkeypatch):
    extra = {"region_name": "us-east-1", "account_id": "111111111111"}
    monkeypatch.setenv("AIRFLOW_CONN_AWS_PROD", json.dumps({"conn_type": "aws", "extra": extra}))

    assert find_in_account("aws_prod", NOW, 90, [], poll_seconds=0) == {
        "aws_conn_id": "aws_prod",
        "account": ACCOUNT,
        "error": f"AWS connection aws_prod reaches account {ACCOUNT}, but its extra says account_id 111111111111; "
        "nothing was changed.",
    }
    assert iam_calls == []


def test_any_other_failure_to_read_an_account_is_a_finding_with_its_first_line(aws, deny_credential_report):
    assert find_in_account("aws_default", NOW, 90, [], poll_seconds=0) == {
        "aws_conn_id": "aws_default",
        "account": ACCOUNT,
        "error": "An error occurred (AccessDenied) when calling the GenerateCredentialReport operation: "
        f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized",
    }


def test_accounts_that_could_not_be_read_are_named_beside_the_others_and_fail_the_run():
    mismatch = {"aws_conn_id": "aws_other", "account": ACCOUNT, "error": "AWS connection aws_other reaches …"}
    # A failed connection of an account also read is not "the same account twice": it was not read.
    findings = [finding(ACCOUNT, "aws_default", stale("a", 200)), TYPO, mismatch]

    plan = plan_reconciliation(findings, "disable", 5, "run-1")
    text = reconciliation_message(plan, {ACCOUNT: "s3://bucket/reports/x.json"}, "run-1", 90)
    report = account_report(plan, plan["accounts"][0], run_id="run-1", now=NOW, max_idle_days=90, generated_at=NOW)

    assert [f["aws_conn_id"] for f in plan["accounts"]] == ["aws_default"] and plan["failed"] == [TYPO, mismatch]
    assert [c["user_name"] for c in plan["revoke"]] == ["a"]
    assert text.splitlines()[-3:] == [
        "Account unknown (aws_typo) could not be scanned: AWS connection aws_typo does not exist; nothing was changed.",
        f"Account {ACCOUNT} (aws_other) could not be scanned: AWS connection aws_other reaches …",
        "Disabled 1 (denied every action, access keys deactivated, console password deleted, "
        f"tagged lifecycle:disabled-at): a ({ACCOUNT})",
    ]
    assert report["failed_accounts"] == [TYPO, mismatch]
    assert account_errors_reason(plan) == (
        "Could not scan 2 of 3 AWS connections (the others were reported): "
        "aws_typo: AWS connection aws_typo does not exist; nothing was changed. | "
        "aws_other: AWS connection aws_other reaches …"
    )
    assert account_errors_reason(plan_reconciliation(findings[:1], "disable", 5, "run-1")) is None


def test_message_counts_are_singular_for_one():
    account = {**finding(ACCOUNT, "aws_default", stale("a", 1)), "users_scanned": 1}
    plan = plan_reconciliation([account], "disable", 0, "run-1")

    text = reconciliation_message(plan, {ACCOUNT: "s3://bucket/reports/x.json"}, "run-1", 1)

    assert text.splitlines() == [
        "Stale IAM users (unused for 1 day or more), mode disable, run run-1",
        f"Account {ACCOUNT} (aws_default): 1 user scanned, 1 stale, 0 exempt",
        "• a: idle 1 day (console password)",
        "Report: s3://bucket/reports/x.json",
        "Nobody to disable: nothing was changed.",
        "Not touched, over the cap (max_users=0): 1 stale user.",
    ]
