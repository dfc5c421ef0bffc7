"""The plain-data steps of reconciling and offboarding across an AWS Organization's accounts (in-process moto
Organizations); which accounts are the targets is tests/unit/test_targets.py."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from airflow.utils.state import DagRunState
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.iam.models import iam_backends

from iam_lifecycle.accounts import targets
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.messages.summaries import organization_offboarding_message, reconciliation_message
from iam_lifecycle.offboarding import organization
from iam_lifecycle.reconciliation import revocation
from iam_lifecycle.reconciliation.flow import account_errors_reason, find_in_account, plan_reconciliation
from iam_lifecycle.reconciliation.reports import account_report
from tests.helpers import set_connection
from tests.organization_accounts import add_member_account

RUN_ID = "manual__1"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def orgs(aws, monkeypatch):
    """An organization (moto's default account is its management account) and the connection ``aws_org`` into it."""
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return client


def ids(found: list[dict]) -> list[str]:
    return [target["account_id"] for target in found]


# ---- reconciliation through member roles -------------------------------------------------------------------------


@pytest.fixture
def deny_assume_role():
    """STS refuses AssumeRole into account 444444444444 (its role is missing, or does not trust the caller)."""

    def deny(params, **kwargs):
        if ":444444444444:" in params["body"]["RoleArn"]:
            error = {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}
            return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {"Error": error}
        return None

    handler = ("before-call.sts.AssumeRole", deny)
    BUILTIN_HANDLERS.append(handler)
    yield
    BUILTIN_HANDLERS.remove(handler)


@pytest.fixture
def members(orgs):
    """The ACTIVE member accounts these tests enter: 111111111111 dev, 222222222222 prod, 444444444444 gone."""
    for account_id, name in [("111111111111", "dev"), ("222222222222", "prod"), ("444444444444", "gone")]:
        add_member_account(orgs, account_id, name)


def member(account_id: str, name: str) -> dict:
    return targets.member_target("aws_org", {"Id": account_id, "Name": name}, "IamLifecycleRole")


def test_a_member_account_is_scanned_through_its_role_and_its_users_are_acted_on_there(members, deny_assume_role):
    hook = account_hook(IamHook, member("111111111111", "dev"), RUN_ID)
    hook.conn.create_user(UserName="idle")
    iam_backends["111111111111"]["aws"].users["idle"].create_date = datetime(2025, 1, 1)

    findings = [
        find_in_account(member("111111111111", "dev"), NOW, 90, [], poll_seconds=0, run_id=RUN_ID),
        find_in_account(member("444444444444", "gone"), NOW, 90, [], poll_seconds=0, run_id=RUN_ID),
    ]
    plan = plan_reconciliation(findings, "delete", 5, RUN_ID)

    [dev] = plan["accounts"]
    assert (dev["account"], dev["account_name"], [s["user_name"] for s in dev["stale"]]) == (
        "111111111111",
        "dev",
        ["idle"],
    )
    assert dev["caller_arn"] == "arn:aws:sts::111111111111:assumed-role/IamLifecycleRole/manual__1"
    assert plan["failed"] == [
        {
            "aws_conn_id": "aws_org",
            "account": "444444444444",
            "account_id": "444444444444",
            "account_name": "gone",
            "member_role_name": "IamLifecycleRole",
            "error": "An error occurred (AccessDenied) when calling the AssumeRole operation: not authorized to "
            "perform: sts:AssumeRole",
        }
    ]
    assert plan["delete"] == [
        {
            "user_name": "idle",
            "reason": f"stale: idle 516 days (iam_stale_user_reconciliation run {RUN_ID})",
            "aws_conn_id": "aws_org",
            "account_id": "111111111111",
            "member_role_name": "IamLifecycleRole",
        }
    ]
    assert {
        key: plan["selected"][0][key] for key in ("user_name", "aws_conn_id", "account_id", "member_role_name")
    } == {
        "user_name": "idle",
        "aws_conn_id": "aws_org",
        "account_id": "111111111111",
        "member_role_name": "IamLifecycleRole",
    }
    text = reconciliation_message(plan, {"111111111111": "file:///r.json"}, RUN_ID, 90).splitlines()
    assert text[1] == "Account 111111111111 (dev, role IamLifecycleRole): 1 user scanned, 1 stale, 0 exempt"
    assert text[-2] == (
        "Account 444444444444 (gone, role IamLifecycleRole) could not be scanned: An error occurred (AccessDenied) "
        "when calling the AssumeRole operation: not authorized to perform: sts:AssumeRole"
    )
    assert account_errors_reason(plan).startswith(
        "Could not scan 1 of 2 accounts (the others were reported): 444444444444 gone: An error occurred (AccessDenied)"
    )
    report = account_report(plan, dev, run_id=RUN_ID, now=NOW, max_idle_days=90, generated_at=NOW)
    assert (report["account"], report["account_name"], report["member_role_name"]) == (
        "111111111111",
        "dev",
        "IamLifecycleRole",
    )


def test_a_disabled_user_is_snapshotted_through_its_accounts_role(members, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    monkeypatch.delenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", raising=False)
    account_hook(IamHook, member("111111111111", "dev"), RUN_ID).conn.create_user(UserName="idle")
    caller = "arn:aws:sts::111111111111:assumed-role/IamLifecycleRole/manual__1"
    entry = {"user_name": "idle", "caller_arn": caller, "reason": "stale", "credentials": None,
             "tags": {"lifecycle:disabled-at": "2026-06-01"}, "account": "111111111111"}  # fmt: skip

    prepared = revocation.prepare_revocation(entry | member("111111111111", "dev"), RUN_ID)

    assert prepared["snapshot_uri"].startswith(f"file://{tmp_path}/111111111111/idle/")


# ---- offboarding one person everywhere -------------------------------------------------------------------------------


def test_the_user_is_looked_up_in_each_account_and_an_unreachable_one_is_kept_with_its_error(members, deny_assume_role):
    account_hook(IamHook, member("111111111111", "dev"), RUN_ID).conn.create_user(UserName="alice")
    boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")  # the management account: not looked in

    lookups = [
        organization.find_user(member(account, name), "alice", RUN_ID)
        for account, name in [("111111111111", "dev"), ("222222222222", "prod"), ("444444444444", "gone")]
    ]
    plan = organization.plan_offboardings(lookups, {"user_name": "alice", "reason": None, "dry_run": False})

    assert [(x["account_id"], x.get("exists"), x.get("error")) for x in lookups] == [
        ("111111111111", True, None),
        ("222222222222", False, None),
        (
            "444444444444",
            None,
            "An error occurred (AccessDenied) when calling the AssumeRole operation: not authorized to perform: "
            "sts:AssumeRole",
        ),
    ]
    assert plan["confs"] == [
        {
            "user_name": "alice",
            "reason": "",
            "dry_run": False,
            "aws_conn_id": "aws_org",
            "account_id": "111111111111",
            "member_role_name": "IamLifecycleRole",
        }
    ]
    assert [ids(plan[key]) for key in ("present", "absent", "failed")] == [
        ["111111111111"],
        ["222222222222"],
        ["444444444444"],
    ]


def test_the_summary_says_where_it_was_deleted_absent_and_failed_and_the_run_fails_on_any_failure():
    def found(account_id: str, name: str, **extra) -> dict:
        return member(account_id, name) | extra

    plan = {
        "present": [found("111111111111", "dev", exists=True), found("222222222222", "prod", exists=True)],
        "absent": [found("333333333333", "sandbox", exists=False)],
        "failed": [found("444444444444", "gone", error="AccessDenied on AssumeRole")],
        "confs": [{}, {}],
    }
    states = {"run-dev": DagRunState.SUCCESS, "run-prod": DagRunState.FAILED}  # as the Task SDK answers
    ended = organization.outcomes(plan, ["run-dev", "run-prod"], states.get)
    params = {"user_name": "alice", "organization_conn_id": "aws_org", "reason": "JIRA-1", "dry_run": False}

    text = organization_offboarding_message(params, "manual__org", plan, ended)

    assert text.splitlines() == [
        "Offboarding IAM user alice from organization aws_org (run manual__org): found in 2 accounts, absent from "
        "1 account, failed in 2 accounts",
        "Deleted in: 111111111111 dev",
        "Absent from: 333333333333 sandbox",
        "FAILED in 222222222222 prod: its iam_user_offboarding run run-prod ended failed",
        "FAILED in 444444444444 gone: could not look for the user: AccessDenied on AssumeRole",
        "Reason: JIRA-1",
    ]
    assert organization.failed_reason(plan, ended) == (
        "IAM user offboarding failed in 2 accounts: 444444444444 gone: AccessDenied on AssumeRole | "
        "222222222222 prod: iam_user_offboarding run run-prod ended failed"
    )
    dry_run = organization_offboarding_message(params | {"dry_run": True, "reason": ""}, "r", plan, ended)
    assert dry_run.splitlines()[:2] == [
        "DRY RUN: offboarding IAM user alice from organization aws_org (run r): found in 2 accounts, absent from "
        "1 account, failed in 2 accounts",
        "Plan posted, nothing changed, in: 111111111111 dev",
    ]
    everything_fine = {**plan, "failed": []}
    ok = organization.outcomes(everything_fine, ["run-dev", "run-dev"], states.get)
    assert organization.failed_reason(everything_fine, ok) is None
    # A trigger task that pushed no run id never triggered its run: that account failed.
    assert [e["state"] for e in organization.outcomes(plan, ["run-dev", None], states.get)] == [
        "success",
        "not triggered",
    ]
