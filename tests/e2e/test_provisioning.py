"""iam_user_provisioning: restore after offboarding, and onboarding from a spec, end to end."""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.messages.texts import APPROVAL_NEEDED
from sandbox.seed import EVERYTHING, NOTHING, seed_user
from tests.fixtures.e2e import REQUESTED_BY, run_dag
from tests.helpers import described, has_login_profile, holdings, user_exists

pytestmark = pytest.mark.e2e

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
#: Who asked for a provisioning run and who approved it (the e2e harness answers every approval as "approver").
PEOPLE = f"requested by {REQUESTED_BY}, approved by approver"


def outcomes(sandbox) -> list[str]:
    """The Slack texts but the approval requests: what the runs did."""
    return [text for text in sandbox.messages if not text.startswith(APPROVAL_NEEDED)]


def test_offboard_then_restore_brings_back_everything_but_credentials(sandbox):
    iam = sandbox.iam
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    seed_user(iam, "alice", EVERYTHING, tags={"team": "data", "cost-centre": "42"}, path="/staff/")
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    before = described(iam, "alice")
    offboarded = run_dag("iam_user_offboarding", {"user_name": "alice"})
    assert offboarded.state == "success" and not user_exists(iam, "alice")
    snapshot_uri = offboarded.xcom("take_snapshot")["uri"]
    sandbox.clear_messages()

    restored = run_dag("iam_user_provisioning", {"snapshot": snapshot_uri})

    assert restored.state == "success", restored.task_states
    assert described(iam, "alice") == before
    after = holdings(iam, "alice")
    assert after["keys"] == after["mfa"] == after["ssh"] == after["certs"] == after["service"] == []
    assert not has_login_profile(iam, "alice")
    [message] = outcomes(sandbox)
    assert message.startswith(f"IAM user alice restored by arn:aws:sts::123456789012:user/moto, {PEOPLE}\n")
    assert f"From snapshot: {snapshot_uri}" in message


def test_onboarding_from_a_spec_without_console_access(sandbox):
    iam = sandbox.iam
    iam.create_group(GroupName="developers")
    policy = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]

    result = run_dag(
        "iam_user_provisioning",
        {
            "user_name": "newbie",
            "path": "/staff/",
            "tags": {"team": "web"},
            "groups": ["developers"],
            "managed_policy_arns": [policy],
            "inline_policies": {"extra": POLICY},
        },
    )

    assert result.state == "success", result.task_states
    assert described(iam, "newbie") == {
        "path": "/staff/",
        "tags": [("team", "web")],
        "boundary": None,
        "groups": ["developers"],
        "policies": [policy],
        "inline": {"extra": POLICY},
    }
    assert not has_login_profile(iam, "newbie")
    assert outcomes(sandbox)[0].startswith(
        f"IAM user newbie created by arn:aws:sts::123456789012:user/moto, {PEOPLE}\n"
    )
    assert "Secrets Manager" not in outcomes(sandbox)[0]


def test_onboarding_with_console_access_keeps_the_password_only_in_secrets_manager(sandbox):
    iam = sandbox.iam

    result = run_dag("iam_user_provisioning", {"user_name": "newbie", "console_access": True})

    assert result.state == "success", result.task_states
    assert iam.get_login_profile(UserName="newbie")["LoginProfile"]["PasswordResetRequired"] is True
    secret_arn = result.xcom("create_login_profile")["secret_arn"]
    password = sandbox.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    assert len(password) >= 20
    [message] = outcomes(sandbox)
    assert secret_arn in message and password not in message
    for task_id in ("resolve_spec", "create_user", "create_login_profile", "compose_message"):
        assert password not in json.dumps(result.xcom(task_id))
    # The sandbox records request parameters: the password went to exactly two calls.
    carrying = [c["action"] for c in sandbox.calls() if password in json.dumps(c["params"])]
    assert sorted(carrying) == ["CreateLoginProfile", "CreateSecret"]


@pytest.mark.parametrize(
    ("conf", "reason"),
    [
        ({}, "give exactly one of `snapshot`"),
        ({"user_name": "x", "snapshot": "file:///nowhere.json"}, "give exactly one of `snapshot`"),
        ({"snapshot": "file:///nowhere/snapshot.json"}, "No such file"),
        ({"user_name": "alice"}, "IAM user 'alice' already exists"),
    ],
)
def test_bad_requests_are_refused_with_nothing_changed(sandbox, conf, reason):
    seed_user(sandbox.iam, "alice")
    before = holdings(sandbox.iam, "alice")
    sandbox.clear_calls()

    result = run_dag("iam_user_provisioning", conf)

    assert result.state == "failed"
    assert sandbox.mutating_calls() == []
    assert holdings(sandbox.iam, "alice") == before
    assert reason in outcomes(sandbox)[0] and "nothing was changed" in outcomes(sandbox)[0]


def offboarded_alice(sandbox) -> tuple[dict, str]:
    """Seed alice holding everything (with a boundary), offboard her; return her description and snapshot URI."""
    iam = sandbox.iam
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
    seed_user(iam, "alice", EVERYTHING, tags={"team": "data"}, path="/staff/")
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    before = described(iam, "alice")
    offboarded = run_dag("iam_user_offboarding", {"user_name": "alice"})
    assert offboarded.state == "success" and not user_exists(iam, "alice")
    sandbox.clear_messages()
    return before, offboarded.xcom("take_snapshot")["uri"]


def test_a_restore_whose_group_and_policy_were_deleted_is_refused_naming_both_with_nothing_changed(sandbox):
    iam = sandbox.iam
    before, snapshot_uri = offboarded_alice(sandbox)
    [policy] = [arn for arn in before["policies"] if arn.endswith(":policy/team-policy-0")]
    iam.delete_group(GroupName="team-group-0")
    iam.delete_policy(PolicyArn=policy)
    sandbox.clear_calls()

    result = run_dag("iam_user_provisioning", {"snapshot": snapshot_uri})

    assert result.state == "failed"
    assert sandbox.mutating_calls() == []
    assert not user_exists(iam, "alice")
    [alert] = outcomes(sandbox)
    assert f"missing in IAM: group team-group-0, managed policy {policy}; nothing was changed." in alert
    assert result.task_states["check_references"] == "failed"


def test_a_restore_that_lost_create_users_answer_and_failed_half_way_is_completed_by_a_rerun(sandbox):
    iam = sandbox.iam
    before, snapshot_uri = offboarded_alice(sandbox)
    # CreateUser is applied but its answer lost (the client retries and meets the user); every attach is denied.
    sandbox.set_faults({"lose": {"CreateUser": [1]}, "fail": {"AttachUserPolicy": ["AccessDenied", 99]}})
    sandbox.clear_calls()

    first = run_dag("iam_user_provisioning", {"snapshot": snapshot_uri})

    assert [c["action"] for c in sandbox.calls() if c["action"] == "CreateUser"] == ["CreateUser"] * 2
    assert sandbox.injected_faults()["CreateUser:lost"] == 1
    assert first.task_states["create_user"] == "success" and first.xcom("create_user")["continued"] is True
    assert first.task_states["grant"] == "failed" and first.state == "failed"  # denied after its own user's groups
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
    assert tags["lifecycle:restored-from"] and tags["lifecycle:created-by-run"] == first.run_id
    sandbox.set_faults({})
    sandbox.clear_calls()
    sandbox.clear_messages()

    second = run_dag("iam_user_provisioning", {"snapshot": snapshot_uri})

    assert second.state == "success", second.task_states
    assert described(iam, "alice") == before  # complete, and the markers are gone
    assert second.xcom("create_user") == first.xcom("create_user")  # the same user, continued
    assert "CreateUser" not in [c["action"] for c in sandbox.calls()]
    [message] = outcomes(sandbox)
    assert message.startswith(f"IAM user alice restored by arn:aws:sts::123456789012:user/moto, {PEOPLE}\n")


def test_a_user_offboarded_in_a_member_account_is_restored_there_and_nowhere_else(sandbox):
    """``account_id`` acts in a member account of the organization, through its role, for restores too."""
    from tests.e2e.test_organization import organization

    member = organization(sandbox, "dev")["dev"]
    iam = sandbox.client("iam", member)
    iam.create_group(GroupName="developers")
    seed_user(iam, "alice", EVERYTHING, tags={"team": "data"})
    seed_user(sandbox.iam, "alice", NOTHING | {"access_keys": 1})  # the same name in the management account
    before, bystander = described(iam, "alice"), holdings(sandbox.iam, "alice")
    offboarded = run_dag("iam_user_offboarding", {"user_name": "alice", "account_id": member})
    assert offboarded.state == "success" and not user_exists(iam, "alice")

    restored = run_dag(
        "iam_user_provisioning", {"snapshot": offboarded.xcom("take_snapshot")["uri"], "account_id": member}
    )

    assert restored.state == "success", restored.task_states
    assert described(iam, "alice") == before
    assert holdings(sandbox.iam, "alice") == bystander
    [message] = [text for text in outcomes(sandbox) if "restored" in text]
    assert message.startswith(f"IAM user alice restored by arn:aws:sts::{member}:assumed-role/IamLifecycleRole/")
