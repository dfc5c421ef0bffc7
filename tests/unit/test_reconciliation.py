"""Stale-user reconciliation: exemptions, the cap, the report text, the IAM cost of finding, the disable hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from moto.iam.models import iam_backends

from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.messages.summaries import reconciliation_message
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.reconciliation.flow import (
    account_findings,
    find_in_account,
    plan_reconciliation,
)
from tests.helpers import project_dagbag

ACCOUNT = "123456789012"
CALLER = f"arn:aws:iam::{ACCOUNT}:user/automation"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def stale(name: str, idle_days: int, credentials=("password",)) -> dict:
    return {
        "user_name": name,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "created": "2024-01-01T00:00:00+00:00",
        "idle_days": idle_days,
        "idle_credentials": list(credentials),
        "last_used": None,
    }


def listed(name: str, tags: dict | None = None, account: str = ACCOUNT) -> dict:
    return {"UserName": name, "Arn": f"arn:aws:iam::{account}:user/{name}", "Tags": tags or {}}


def finding(account: str, conn: str, *entries: dict, disabled: tuple[str, ...] = ()) -> dict:
    return {
        "aws_conn_id": conn,
        "account": account,
        "caller_arn": f"arn:aws:sts::{account}:user/moto",
        "users_scanned": 10,
        "stale": [{**e, "disabled_at": "2026-05-01" if e["user_name"] in disabled else None} for e in entries],
        "exempt": [],
    }


def test_exempt_users_are_set_apart_with_the_reason():
    rows = [{"user": "<root_account>"}] + [{"user": n} for n in ("a", "glass-1", "tagged", "automation", "gone", "b")]
    found = [stale("a", 300), stale("glass-1", 200), stale("tagged", 150), stale("automation", 120), stale("gone", 99)]
    users = [
        listed("a", {"lifecycle:disabled-at": "2026-05-01"}),
        listed("glass-1"),
        listed("tagged", {"lifecycle:protected": "True"}),
        listed("automation"),
        listed("b"),
    ]

    result = account_findings(rows, found, users, CALLER, ["glass-*"], aws_conn_id="aws_default")

    assert result["account"] == ACCOUNT and result["users_scanned"] == 6
    assert [(u["user_name"], u["disabled_at"]) for u in result["stale"]] == [("a", "2026-05-01")]
    assert {u["user_name"]: u["reason"] for u in result["exempt"]} == {
        "glass-1": "IAM user glass-1 is protected: it matches 'glass-*' in the Variable iam_lifecycle_protected_users",
        "tagged": "IAM user tagged is protected: it is tagged lifecycle:protected=true",
        "automation": f"IAM user automation is protected: it is the identity this DAG runs as ({CALLER})",
        "gone": "IAM user gone is not in the user listing (created or deleted since the credential report), so its "
        "tags are unknown",
    }


def test_the_cap_takes_the_stalest_users_over_all_accounts():
    findings = [
        finding(ACCOUNT, "aws_default", stale("a", 300), stale("b", 100)),
        finding("111111111111", "aws_second", stale("c", 200), stale("a", 100)),
    ]

    plan = plan_reconciliation(findings, "delete", 3, "run-1")

    assert [(c["user_name"], c["account"]) for c in plan["selected"]] == [
        ("a", ACCOUNT),
        ("c", "111111111111"),
        ("a", "111111111111"),
    ]
    assert [(c["user_name"], c["account"]) for c in plan["over_cap"]] == [("b", ACCOUNT)]
    assert plan["delete"] == [
        {"user_name": "a", "reason": "stale: idle 300 days (iam_stale_user_reconciliation run run-1)",
         "aws_conn_id": "aws_default"},
        {"user_name": "c", "reason": "stale: idle 200 days (iam_stale_user_reconciliation run run-1)",
         "aws_conn_id": "aws_second"},
        {"user_name": "a", "reason": "stale: idle 100 days (iam_stale_user_reconciliation run run-1)",
         "aws_conn_id": "aws_second"},
    ]  # fmt: skip
    assert plan["revoke"] == []


def test_report_mode_selects_nobody_and_max_users_zero_acts_on_nobody():
    findings = [finding(ACCOUNT, "aws_default", stale("a", 300))]

    report = plan_reconciliation(findings, "report", 10, "run-1")
    capped = plan_reconciliation(findings, "disable", 0, "run-1")

    assert report["selected"] == report["over_cap"] == report["revoke"] == report["delete"] == []
    assert capped["selected"] == capped["revoke"] == [] and [c["user_name"] for c in capped["over_cap"]] == ["a"]


def test_disable_skips_users_already_disabled_but_delete_takes_them():
    findings = [finding(ACCOUNT, "aws_default", stale("a", 300), stale("b", 200), disabled=("a",))]

    disable = plan_reconciliation(findings, "disable", 5, "run-1")
    delete = plan_reconciliation(findings, "delete", 5, "run-1")

    assert [(c["user_name"], c["aws_conn_id"], c["caller_arn"]) for c in disable["revoke"]] == [
        ("b", "aws_default", f"arn:aws:sts::{ACCOUNT}:user/moto")
    ]
    assert [c["user_name"] for c in delete["selected"]] == ["a", "b"]


def test_two_connections_of_one_account_are_refused():
    findings = [finding(ACCOUNT, "aws_default", stale("a", 300)), finding(ACCOUNT, "aws_again")]

    with pytest.raises(ValueError, match="connections aws_default and aws_again are both account 123456789012"):
        plan_reconciliation(findings, "disable", 5, "run-1")
    with pytest.raises(ValueError, match="mode must be one of report, revoke, disable, delete"):
        plan_reconciliation([], "purge", 5, "run-1")


def test_message_lists_up_to_50_stale_users_then_how_many_more():
    entries = [stale(f"user-{n:02}", 200 - n, ["password", "access_key_2"]) for n in range(60)]
    plan = plan_reconciliation([finding(ACCOUNT, "aws_default", *entries)], "disable", 2, "run-1")
    plan["accounts"][0]["exempt"] = [{**stale("glass", 400), "reason": "IAM user glass is protected: …"}]

    text = reconciliation_message(plan, {ACCOUNT: "s3://bucket/reports/x.json"}, "run-1", 90)

    lines = text.splitlines()
    assert lines[:3] == [
        "Stale IAM users (unused for 90 days or more), mode disable, run run-1",
        f"Account {ACCOUNT} (aws_default): 10 users scanned, 60 stale, 1 exempt",
        "• user-00: idle 200 days (console password, access key 2)",
    ]
    assert lines[51] == "• user-49: idle 151 days (console password, access key 2)"
    assert lines[52:] == [
        "…and 10 more",
        "• exempt: glass, idle 400 days: IAM user glass is protected: …",
        "Report: s3://bucket/reports/x.json",
        "Disabled 2 (denied every action, access keys deactivated, console password deleted, "
        "tagged lifecycle:disabled-at): "
        f"user-00 ({ACCOUNT}), user-01 ({ACCOUNT})",
        "Not touched, over the cap (max_users=2): 58 stale users.",
    ]


def test_finding_costs_the_same_few_calls_for_100_and_2000_users(aws, iam_calls):
    backend = iam_backends[ACCOUNT]["aws"]

    def calls_to_find(user_count: int) -> list[str]:
        for n in range(len(backend.users), user_count):
            backend.create_user("us-east-1", f"user-{n:04}", tags=[{"Key": "team", "Value": "t"}])
            backend.users[f"user-{n:04}"].create_date = (NOW - timedelta(days=200)).replace(tzinfo=None)
        iam_calls.clear()
        result = find_in_account("aws_default", NOW, 90, [], poll_seconds=0)
        assert len(result["stale"]) == user_count
        return list(iam_calls)

    small = calls_to_find(100)
    large = calls_to_find(2000)

    # The first report needs one extra GenerateCredentialReport (STARTED, then COMPLETE); then one page per 1000.
    assert small == ["GenerateCredentialReport"] * 2 + ["GetCredentialReport", "GetAccountAuthorizationDetails"]
    assert large == ["GenerateCredentialReport", "GetCredentialReport"] + ["GetAccountAuthorizationDetails"] * 2


def test_disable_hooks_deactivate_keys_and_tag(iam, iam_calls):
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    hook = IamHook(aws_conn_id="aws_default")
    iam_calls.clear()

    outcome = offboarding.deactivate_access_keys(hook, "alice", [key, "AKIAGONE000000000000"])
    hook.tag_user("alice", {"lifecycle:disabled-at": "2026-06-01"})

    assert outcome == {"deactivated": [key], "already_gone": ["AKIAGONE000000000000"]}
    assert iam_calls == ["UpdateAccessKey", "UpdateAccessKey", "TagUser"]
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    described = user_as_data(hook.get_user("alice"))
    assert described["Tags"] == {"team": "data", "lifecycle:disabled-at": "2026-06-01"}
    assert described["PermissionsBoundary"] is None and hook.get_user("nobody") is None


def test_offboarding_runs_are_not_triggered_again_when_one_failed():
    """The delete mode's trigger task fails without retry when the triggered run failed (it already retried)."""
    from airflow.sdk import RetryAction
    from airflow.sdk.exceptions import AirflowException

    task = project_dagbag().dags["iam_stale_user_reconciliation"].get_task("offboard_stale_user")
    policy = task.retry_policy

    failed_run = AirflowException("iam_user_offboarding failed with failed state failed")
    assert policy.evaluate(failed_run, try_number=1, max_tries=2).action == RetryAction.FAIL
    assert policy.evaluate(ConnectionError("reset"), try_number=1, max_tries=2).action == RetryAction.DEFAULT
    assert task.max_active_tis_per_dag == 16 and task.partial_kwargs["retries"] >= 1
