"""Dry runs, protected users, snapshots and failure alerts of iam_user_offboarding, end to end."""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.holdings import CONTAINMENT_POLICY
from sandbox.seed import seed_user
from tests.fixtures.e2e import forget_object_stores, run_dag
from tests.helpers import holdings, user_exists

pytestmark = pytest.mark.e2e

# Which request parameter names the item each removal call removes, by plan kind.
REMOVAL_CALLS = {
    "DetachUserPolicy": ("managed_policies", "PolicyArn"),
    "DeleteUserPolicy": ("inline_policies", "PolicyName"),
    "RemoveUserFromGroup": ("groups", "GroupName"),
    "DeleteAccessKey": ("access_keys", "AccessKeyId"),
    "DeleteSSHPublicKey": ("ssh_public_keys", "SSHPublicKeyId"),
    "DeleteSigningCertificate": ("signing_certificates", "CertificateId"),
    "DeleteServiceSpecificCredential": ("service_specific_credentials", "ServiceSpecificCredentialId"),
    "DeactivateMFADevice": ("mfa_devices", "SerialNumber"),
}


def removed_items(calls: list[dict]) -> dict:
    removed: dict = {kind: [] for kind, _ in REMOVAL_CALLS.values()} | {"login_profile": False}
    for call in calls:
        if call["params"].get("PolicyName") == CONTAINMENT_POLICY:
            continue  # the run's own deny policy, put first and deleted before DeleteUser: not in the plan
        if call["action"] in REMOVAL_CALLS:
            kind, parameter = REMOVAL_CALLS[call["action"]]
            removed[kind].append(call["params"][parameter])
        elif call["action"] == "DeleteLoginProfile":
            removed["login_profile"] = True
    return {k: sorted(v) if isinstance(v, list) else v for k, v in removed.items()}


def test_dry_run_changes_nothing_and_its_plan_is_what_a_real_run_removes(sandbox):
    iam = sandbox.iam
    held = seed_user(iam, "alice")
    before = holdings(iam, "alice")
    sandbox.clear_calls()

    dry = run_dag("iam_user_offboarding", {"user_name": "alice", "dry_run": True})

    assert dry.state == "success", dry.task_states
    assert sandbox.mutating_calls() == []
    assert holdings(iam, "alice") == before
    assert dry.task_states["take_snapshot"] == "skipped"
    assert dry.task_states["delete_user"] == "skipped"
    plan = dry.xcom("plan_offboarding")
    assert {k: sorted(v) if isinstance(v, list) else v for k, v in plan.items()} == {
        k: sorted(v) if isinstance(v, list) else v for k, v in held.items()
    }
    [message] = sandbox.messages
    assert message.startswith("DRY RUN: offboarding IAM user alice as arn:aws:sts::123456789012:user/moto")
    for arn in held["managed_policies"] + held["access_keys"] + held["mfa_devices"]:
        assert arn in message
    assert message.endswith("Nothing was changed.")

    sandbox.clear_calls()
    real = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert real.state == "success", real.task_states
    assert not user_exists(iam, "alice")
    assert removed_items(sandbox.mutating_calls()) == {
        k: sorted(v) if isinstance(v, list) else v for k, v in plan.items()
    }


def test_a_protected_user_is_refused_with_nothing_changed(sandbox):
    """Who is protected is proven at unit level (tests/unit/test_protection.py); this is the run stopping."""
    iam = sandbox.iam
    seed_user(iam, "alice", tags={"Lifecycle:Protected": "TRUE"})
    before = holdings(iam, "alice")
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["check_user"] == "failed"
    assert result.task_states["take_snapshot"] == result.task_states["delete_user"] == "upstream_failed"
    assert sandbox.mutating_calls() == []
    assert holdings(iam, "alice") == before
    [alert] = sandbox.messages
    assert alert.startswith("FAILED: iam_user_offboarding / check_user (run ")
    assert alert.endswith("IAM user alice is protected: it is tagged lifecycle:protected=true; nothing was changed.")


def test_snapshot_on_s3_is_written_before_the_first_change_and_equals_the_user(sandbox, monkeypatch):
    iam = sandbox.iam
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    held = seed_user(iam, "alice", tags={"team": "data"}, path="/staff/")
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    user = iam.get_user(UserName="alice")["User"]
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="iam-snapshots")
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", "s3://iam-snapshots/prod")
    forget_object_stores()  # the S3 store is made afresh from this test's connection
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "alice", "reason": "JIRA-1"})

    assert result.state == "success", result.task_states
    uri = result.xcom("take_snapshot")["uri"]
    assert uri.startswith("s3://iam-snapshots/prod/123456789012/alice/") and uri.endswith(".json")
    assert f"Snapshot: {uri}" in sandbox.messages[0]
    calls = sandbox.calls()
    first_change = next(i for i, c in enumerate(calls) if c in sandbox.mutating_calls())
    write = next(i for i, c in enumerate(calls) if c["action"].startswith("PUT /iam-snapshots/prod/"))
    assert write < first_change

    key = uri.removeprefix("s3://iam-snapshots/")
    snapshot = json.loads(s3.get_object(Bucket="iam-snapshots", Key=key)["Body"].read())
    assert snapshot["user"] == {
        "UserName": "alice",
        "UserId": user["UserId"],
        "Arn": user["Arn"],
        "Path": "/staff/",
        "CreateDate": user["CreateDate"].isoformat(),
        "Tags": {"team": "data"},
        "PermissionsBoundary": boundary,
    }
    assert snapshot["run_id"] == result.run_id and snapshot["reason"] == "JIRA-1"
    assert snapshot["caller_arn"] == "arn:aws:sts::123456789012:user/moto"
    assert sorted(snapshot["managed_policies"]) == sorted(held["managed_policies"])
    assert sorted(snapshot["groups"]) == sorted(held["groups"])
    assert snapshot["inline_policies"]["inline-0"]["Statement"][0]["Action"] == "sqs:Get0"
    assert sorted(k["AccessKeyId"] for k in snapshot["access_keys"]) == sorted(held["access_keys"])
    for kind in ("mfa_devices", "ssh_public_keys", "signing_certificates", "service_specific_credentials"):
        assert snapshot[kind] == held[kind]
    assert snapshot["login_profile"] is True
    assert "SecretAccessKey" not in json.dumps(snapshot) and "Password" not in json.dumps(snapshot)


def test_a_snapshot_store_that_fails_means_nothing_is_changed(sandbox, monkeypatch):
    iam = sandbox.iam
    seed_user(iam, "alice")
    before = holdings(iam, "alice")
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", "s3://no-such-bucket/snapshots")
    forget_object_stores()
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["take_snapshot"] == "failed"
    assert result.tries["take_snapshot"] == 1, "a store that can never work was retried"
    assert sandbox.mutating_calls() == []
    assert holdings(iam, "alice") == before
    assert sandbox.messages[0].startswith("FAILED: iam_user_offboarding / take_snapshot")
