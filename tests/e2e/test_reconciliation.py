"""iam_stale_user_reconciliation end to end (dag.test): report, revoke, disable within the cap, several accounts.
Mode delete, which triggers iam_user_offboarding runs, is proven on the distributed stack (tests/distributed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.fixtures.e2e import REQUESTED_BY, run_dag
from tests.helpers import has_login_profile, tags_of

pytestmark = pytest.mark.e2e

DAG_ID, OFFBOARDING = "iam_stale_user_reconciliation", "iam_user_offboarding"
ACCOUNT, SECOND_ACCOUNT = "123456789012", "111111111111"
NOW = datetime.now(UTC)
# Calls that read, or (GenerateCredentialReport) only build the report the reads need.
READS = ("Get", "List", "GenerateCredentialReport")


def changes(sandbox) -> list[tuple[str, str]]:
    """(action, user) of every IAM call that changed something."""
    return [
        (c["action"], c["params"].get("UserName"))
        for c in sandbox.calls()
        if c["service"] == "iam" and not c["action"].startswith(READS)
    ]


def key_statuses(iam, name: str) -> list[str]:
    return [k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def test_report_finds_exactly_the_stale_users_and_changes_nothing(sandbox, monkeypatch, tmp_path):
    sandbox.make_user("idle-keys", 400, keys=[120, 150])
    sandbox.make_user("idle-password", 400, password=150)
    sandbox.make_user("never-used-password", 200, password="never")
    sandbox.make_user("old-no-credentials", 100)
    sandbox.make_user("idle-just-over", 400, password=90.01)
    sandbox.make_user("idle-just-under", 400, password=89.99, keys=[100])
    sandbox.make_user("two-keys-one-idle", 400, keys=[300, 5])
    sandbox.make_user("recently-created", 10, password="never", keys=["never"])
    sandbox.make_user("active", 400, password=1, keys=[1])
    sandbox.make_user("tagged-protected", 400, password=300, tags={"lifecycle:protected": "true"})
    sandbox.make_user("break-glass-admin", 400, keys=[200])
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", json.dumps(["break-glass-*"]))
    sandbox.clear_calls()

    result = run_dag(DAG_ID, {"mode": "report"})

    assert result.state == "success", result.task_states
    assert changes(sandbox) == []
    # No call per user: the report, one page of users, and (STS) the caller.
    iam_actions = sorted(c["action"] for c in sandbox.calls() if c["service"] == "iam")
    assert set(iam_actions) == {"GenerateCredentialReport", "GetCredentialReport", "GetAccountAuthorizationDetails"}
    assert len(iam_actions) <= 4
    for task_id in ("snapshot_user", "deactivate_access_keys", "tag_disabled", "offboard_stale_user"):
        assert result.task_states[task_id] == "skipped"

    [finding] = result.xcom("plan_reconciliation")["accounts"]
    assert [(u["user_name"], u["idle_days"], u["idle_credentials"]) for u in finding["stale"]] == [
        ("never-used-password", 200, ["password"]),
        ("idle-password", 150, ["password"]),
        ("idle-keys", 120, ["access_key_1", "access_key_2"]),
        ("old-no-credentials", 100, []),
        ("idle-just-over", 90, ["password"]),
    ]
    assert [(u["user_name"], u["idle_days"]) for u in finding["exempt"]] == [
        ("tagged-protected", 300),
        ("break-glass-admin", 200),
    ]

    [report_file] = (tmp_path / "snapshots" / "reports" / ACCOUNT).glob("*.json")
    report = json.loads(report_file.read_text())
    assert report["run_id"] == result.run_id and report["mode"] == "report" and report["users_scanned"] == 11
    assert report["requested_by"] == REQUESTED_BY
    assert [u["user_name"] for u in report["stale"]] == [u["user_name"] for u in finding["stale"]]
    assert {u["action"] for u in report["stale"]} == {"none"}
    assert {u["user_name"]: u["reason"] for u in report["exempt"]} == {
        "tagged-protected": "IAM user tagged-protected is protected: it is tagged lifecycle:protected=true",
        "break-glass-admin": "IAM user break-glass-admin is protected: it matches 'break-glass-*' in the Variable "
        "iam_lifecycle_protected_users",
    }

    [message] = sandbox.messages
    assert message == "\n".join(
        [
            f"Stale IAM users (unused for 90 days or more), mode report, run {result.run_id}",
            f"Account {ACCOUNT} (aws_default): 11 users scanned, 5 stale, 2 exempt",
            "• never-used-password: idle 200 days (console password)",
            "• idle-password: idle 150 days (console password)",
            "• idle-keys: idle 120 days (access key 1, access key 2)",
            "• old-no-credentials: idle 100 days (no credentials)",
            "• idle-just-over: idle 90 days (console password)",
            "• exempt: tagged-protected, idle 300 days: IAM user tagged-protected is protected: it is tagged "
            "lifecycle:protected=true",
            "• exempt: break-glass-admin, idle 200 days: IAM user break-glass-admin is protected: it matches "
            "'break-glass-*' in the Variable iam_lifecycle_protected_users",
            "Unused credentials: 7 credentials of 6 users",
            "• two-keys-one-idle: access key 1 (300 days)",
            "• never-used-password: console password (200 days)",
            "• idle-keys: access key 2 (150 days), access key 1 (120 days)",
            "• idle-password: console password (150 days)",
            "• idle-just-under: access key 1 (100 days)",
            "• idle-just-over: console password (90 days)",
            "• exempt: tagged-protected: IAM user tagged-protected is protected: it is tagged lifecycle:protected=true",
            "• exempt: break-glass-admin: IAM user break-glass-admin is protected: it matches 'break-glass-*' in the "
            "Variable iam_lifecycle_protected_users",
            f"Report: file://{report_file}",
            "Report only: nothing was changed.",
            f"Requested by {REQUESTED_BY}.",
        ]
    )


def test_revoke_takes_only_the_unused_credentials_and_leaves_every_user(sandbox, tmp_path):
    iam = sandbox.iam
    sandbox.make_user("one-idle-key", 400, keys=[1, 150])
    sandbox.make_user("idle-password", 400, password=200, keys=[2])
    sandbox.make_user("protected", 400, password=300, keys=[300], tags={"lifecycle:protected": "true"})
    sandbox.make_user("fresh", 0.01, password="never", keys=["never"])  # created minutes ago: not judged
    sandbox.make_user("all-used", 400, password=1, keys=[1])
    sandbox.clear_calls()

    result = run_dag(DAG_ID, {"mode": "revoke", "max_users": 10})

    assert result.state == "success", result.task_states
    assert sorted(changes(sandbox)) == [("DeleteLoginProfile", "idle-password"), ("UpdateAccessKey", "one-idle-key")]
    assert key_statuses(iam, "one-idle-key") == ["Active", "Inactive"]
    assert key_statuses(iam, "idle-password") == ["Active"] and not has_login_profile(iam, "idle-password")
    for untouched in ("protected", "fresh", "all-used"):
        assert has_login_profile(iam, untouched) and set(key_statuses(iam, untouched)) == {"Active"}
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == [
        "all-used",
        "fresh",
        "idle-password",
        "one-idle-key",
        "protected",
    ]
    for name in ("one-idle-key", "idle-password"):  # each snapshot taken before its change
        [snapshot] = (tmp_path / "snapshots" / ACCOUNT / name).glob("*.json")
        assert json.loads(snapshot.read_text())["reason"].startswith("unused: ")
    [report_file] = (tmp_path / "snapshots" / "reports" / ACCOUNT).glob("*.json")
    unused = json.loads(report_file.read_text())["unused_credentials"]
    assert {(u["user_name"], u["action"]) for u in unused["revocable"]} == {
        ("idle-password", "revoke"),
        ("one-idle-key", "revoke"),
    }
    assert unused["not_judged"] == [{"user_name": "fresh", "reason": "created within the last 4 hours"}]
    # Revoking unused credentials asks nobody by default (the approval policy): it can run unattended.
    [message] = sandbox.messages
    assert result.task_states["approve_changes"] == "skipped"
    assert f"Revoked in account {ACCOUNT}: 1 access key deactivated, 1 console password deleted" in message
    assert "• not judged: fresh: created within the last 4 hours" in message


def test_disable_acts_on_the_stalest_max_users_and_leaves_the_rest(sandbox, tmp_path):
    iam = sandbox.iam
    for name, idle in [("stale-a", 300), ("stale-b", 250), ("stale-c", 200), ("stale-d", 150), ("stale-e", 100)]:
        sandbox.make_user(name, 400, password=idle, keys=[idle, idle + 10])
    sandbox.make_user("active", 400, password=1, keys=[1])
    sandbox.clear_calls()

    result = run_dag(DAG_ID, {"mode": "disable", "max_users": 2})
    after = datetime.now(UTC)

    assert result.state == "success", result.task_states
    disabled, untouched = ["stale-a", "stale-b"], ["stale-c", "stale-d", "stale-e", "active"]
    for name in disabled:
        assert key_statuses(iam, name) == ["Inactive", "Inactive"]
        assert not has_login_profile(iam, name)
        assert tags_of(iam, name)["lifecycle:disabled-at"] in {f"{NOW:%Y-%m-%d}", f"{after:%Y-%m-%d}"}
        [snapshot_file] = (tmp_path / "snapshots" / ACCOUNT / name).glob("*.json")
        snapshot = json.loads(snapshot_file.read_text())
        assert snapshot["login_profile"] is True
        assert [k["Status"] for k in snapshot["access_keys"]] == ["Active", "Active"]
        assert snapshot["reason"].startswith("stale: idle ")
        assert snapshot["approved_by"] == "approver"  # run_dag answers the approval as "approver"
    for name in untouched:
        assert key_statuses(iam, name) == ["Active"] * len(key_statuses(iam, name))
        assert has_login_profile(iam, name)
        assert "lifecycle:disabled-at" not in tags_of(iam, name)
        assert not (tmp_path / "snapshots" / ACCOUNT / name).exists()
    assert sorted(changes(sandbox)) == sorted(
        [("UpdateAccessKey", name) for name in disabled for _ in range(2)]
        + [("PutUserPolicy", name) for name in disabled]  # denied every action first, and kept
        + [("DeleteLoginProfile", name) for name in disabled]
        + [("TagUser", name) for name in disabled]
    )
    message = sandbox.messages[-1]
    assert (
        f"Disabled 2 (denied every action, access keys deactivated, console password deleted, "
        "tagged lifecycle:disabled-at): "
        f"stale-a ({ACCOUNT}), stale-b ({ACCOUNT})" in message
    )
    assert "Approved by approver." in message
    assert "Not touched, over the cap (max_users=2): 3 stale users." in message


def test_each_account_is_scanned_and_acted_on_with_its_own_connection(sandbox):
    sandbox.add_account_connection("aws_second", SECOND_ACCOUNT)
    sandbox.make_user("same-name", 400, password=300, keys=[300])
    sandbox.make_user("first-recent", 400, password=5)
    sandbox.make_user("same-name", 400, password=1, keys=[1], account=SECOND_ACCOUNT)
    sandbox.make_user("second-stale", 400, password=200, keys=[200], account=SECOND_ACCOUNT)
    sandbox.make_user("second-over-cap", 400, password=100, account=SECOND_ACCOUNT)
    first, second = sandbox.iam, sandbox.client("iam", SECOND_ACCOUNT)
    sandbox.clear_calls()

    result = run_dag(DAG_ID, {"mode": "disable", "max_users": 2, "aws_conn_ids": ["aws_default", "aws_second"]})

    assert result.state == "success", result.task_states
    plan = result.xcom("plan_reconciliation")
    assert [(f["aws_conn_id"], f["account"], [u["user_name"] for u in f["stale"]]) for f in plan["accounts"]] == [
        ("aws_default", ACCOUNT, ["same-name"]),
        ("aws_second", SECOND_ACCOUNT, ["second-stale", "second-over-cap"]),
    ]
    assert plan["accounts"][1]["caller_arn"] == f"arn:aws:sts::{SECOND_ACCOUNT}:user/moto"
    # Each user was disabled in its own account, with that account's connection.
    assert key_statuses(first, "same-name") == ["Inactive"] and not has_login_profile(first, "same-name")
    assert key_statuses(second, "same-name") == ["Active"] and has_login_profile(second, "same-name")
    assert key_statuses(second, "second-stale") == ["Inactive"] and not has_login_profile(second, "second-stale")
    assert has_login_profile(second, "second-over-cap")
    assert "lifecycle:disabled-at" not in tags_of(second, "same-name")
    message = sandbox.messages[-1]
    assert f"Account {ACCOUNT} (aws_default): 2 users scanned, 1 stale, 0 exempt" in message
    assert f"Account {SECOND_ACCOUNT} (aws_second): 3 users scanned, 2 stale, 0 exempt" in message
    assert f"same-name ({ACCOUNT}), second-stale ({SECOND_ACCOUNT})" in message
