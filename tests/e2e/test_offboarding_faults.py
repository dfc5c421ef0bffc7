"""iam_user_offboarding when AWS or another actor misbehaves mid-run: faults injected by the sandbox server.

Each case is one whole run, because what is proven is the order of the DAG's tasks, its trigger rules and its
alerts: a removal denied by an SCP, DeleteUser's answer lost, the user recreated or extended by someone else.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from iam_lifecycle.holdings import CONTAINMENT_POLICY
from sandbox.seed import EVERYTHING, NOTHING, PASSWORD, seed_user
from tests.fixtures.e2e import REQUESTED_BY, run_dag
from tests.helpers import described, has_login_profile, holdings, user_exists

pytestmark = pytest.mark.e2e

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def test_a_denied_removal_leaves_no_sign_in_and_a_rerun_names_the_snapshot_to_restore(sandbox):
    iam = sandbox.iam
    seed_user(iam, "alice", EVERYTHING, tags={"team": "data"}, path="/staff/")
    before = described(iam, "alice")
    # As an SCP would: two removals are denied, each in its own task.
    sandbox.set_faults(
        {"fail": {"DeleteSSHPublicKey": ["AccessDenied", 99], "DeleteSigningCertificate": ["AccessDenied", 99]}}
    )

    first = run_dag("iam_user_offboarding", {"user_name": "alice", "reason": "JIRA-7"})

    assert first.state == "failed"
    ssh_keys, certificates = "remove_user_items[ssh_public_keys]", "remove_user_items[signing_certificates]"
    assert first.tries[ssh_keys] == first.tries[certificates] == 1, "AccessDenied retried"
    assert user_exists(iam, "alice")
    assert not has_login_profile(iam, "alice"), "a console password survived a failed offboarding"
    assert all(k["Status"] == "Inactive" for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"])
    alerts = sorted(sandbox.messages)
    assert len(alerts) == 2, alerts
    for alert, task in zip(alerts, (certificates, ssh_keys), strict=True):
        first_line, still_holds = alert.split("\n")
        assert first_line.startswith(f"FAILED: iam_user_offboarding / {task} (run ") and "AccessDenied" in first_line
        assert still_holds.startswith("alice still holds: console password: none; active access keys: 0;")
        assert "1 SSH public key" in still_holds and "1 signing certificate" in still_holds
    first_snapshot = first.xcom("take_snapshot")["uri"]

    sandbox.set_faults({})
    sandbox.clear_messages()
    second = run_dag("iam_user_offboarding", {"user_name": "alice", "reason": "JIRA-7"})

    assert second.state == "success", second.task_states
    assert not user_exists(iam, "alice")
    [message] = sandbox.messages
    assert f"Restore from {first_snapshot} to get the user back as it was." in message

    sandbox.clear_messages()
    restored = run_dag("iam_user_provisioning", {"snapshot": first_snapshot})

    assert restored.state == "success", restored.task_states
    after = described(iam, "alice")
    after["tags"] = [tag for tag in after["tags"] if not tag[0].startswith("lifecycle:")]
    assert after == before


def test_a_lost_delete_user_answer_is_reported_as_deleted_with_counts(sandbox):
    seed_user(sandbox.iam, "alice", NOTHING | {"managed_policies": 2, "access_keys": 1})
    sandbox.set_faults({"lose": {"DeleteUser": [1]}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    assert sandbox.injected_faults() == {"DeleteUser:lost": 1}
    assert not user_exists(sandbox.iam, "alice")
    assert sandbox.messages == [
        f"IAM user alice deleted by arn:aws:sts::123456789012:user/moto, requested by {REQUESTED_BY} (DeleteUser's "
        "answer was lost; its retry "
        "found the user gone)\n"
        "Removed: 2 managed policies, 1 access key\n"
        f"Snapshot: {result.xcom('take_snapshot')['uri']}"
    ]


def test_a_user_recreated_under_the_same_name_during_the_run_is_left_alone(sandbox):
    iam = sandbox.iam
    seed_user(iam, "alice", NOTHING | {"access_keys": 1})
    recreate = [
        {"Action": "DeleteUserPolicy", "UserName": "alice", "PolicyName": CONTAINMENT_POLICY},  # as AWS requires
        {"Action": "DeleteUser", "UserName": "alice"},
        {
            "Action": "CreateUser",
            "UserName": "alice",
            "Tags.member.1.Key": "Lifecycle:Protected",
            "Tags.member.1.Value": "TRUE",
        },
        {"Action": "CreateAccessKey", "UserName": "alice"},
    ]
    # GetUser: check_user, take_snapshot, contain_user, the two sign-in tasks, the key removal; just before
    # delete_user reads the user again (the seventh), it is another user.
    sandbox.set_faults({"before": {"GetUser": {"skip": 6, "requests": recreate}}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["delete_user"] == "failed"
    assert user_exists(iam, "alice") and len(holdings(iam, "alice")["keys"]) == 1
    assert not any(c["action"] == "DeleteUser" for c in sandbox.mutating_calls()), "the run deleted a user"
    [alert] = sandbox.messages
    assert alert.startswith("FAILED: iam_user_offboarding / delete_user")
    assert "is not the user this run checked" in alert and "nothing more was changed" in alert


def test_items_added_during_the_run_are_recorded_in_an_addendum_and_counted(sandbox, tmp_path):
    iam = sandbox.iam
    seed_user(iam, "alice", NOTHING | {"managed_policies": 1})
    iam.create_group(GroupName="late-group")
    added = [
        {"Action": "CreateAccessKey", "UserName": "alice"},
        {"Action": "PutUserPolicy", "UserName": "alice", "PolicyName": "late", "PolicyDocument": POLICY},
        {"Action": "AddUserToGroup", "UserName": "alice", "GroupName": "late-group"},
        {"Action": "CreateVirtualMFADevice", "VirtualMFADeviceName": "late"},
        {
            "Action": "EnableMFADevice",
            "UserName": "alice",
            "SerialNumber": "arn:aws:iam::123456789012:mfa/late",
            "AuthenticationCode1": "123456",
            "AuthenticationCode2": "654321",
        },
    ]
    sandbox.set_faults({"before": {"DeleteUser": {"requests": added}}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    assert not user_exists(iam, "alice")
    outcome = result.xcom("delete_user")
    [addendum_uri] = outcome["addenda"]
    [message] = sandbox.messages
    assert (
        "Also removed, added during the run: 1 inline policy, 1 group membership, 1 access key, 1 MFA device "
        f"(recorded in {addendum_uri})"
    ) in message
    addendum = json.loads(open(urlparse(addendum_uri).path).read())
    assert addendum["addendum_to"] == result.xcom("take_snapshot")["uri"]
    assert addendum["inline_policies"]["late"] == json.loads(POLICY)
    assert addendum["groups"] == ["late-group"] and len(addendum["access_keys"]) == 1
    assert addendum["mfa_devices"] == ["arn:aws:iam::123456789012:mfa/late"]


def test_a_user_deleted_by_someone_else_after_a_conflict_is_reported_as_such(sandbox):
    iam = sandbox.iam
    seed_user(iam, "alice", NOTHING | {"access_keys": 1})
    late = {"Action": "PutUserPolicy", "UserName": "alice", "PolicyName": "late", "PolicyDocument": POLICY}
    someone_else = [
        {"Action": "DeleteUserPolicy", "UserName": "alice", "PolicyName": "late"},
        {
            "Action": "DeleteUserPolicy",
            "UserName": "alice",
            "PolicyName": CONTAINMENT_POLICY,
        },  # put back after the conflict
        {"Action": "DeleteUser", "UserName": "alice"},
    ]
    # DeleteUser conflicts on the late policy; before the run reads the user again (its eighth GetUser, after
    # check_user, take_snapshot, contain_user, the two sign-in tasks, the key removal and delete_user's), someone
    # else removes the policy and deletes the user.
    sandbox.set_faults(
        {"before": {"DeleteUser": {"requests": [late]}, "GetUser": {"skip": 7, "requests": someone_else}}}
    )

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    assert not user_exists(iam, "alice")
    [message] = sandbox.messages
    assert message.startswith("IAM user alice was already deleted when this run")
    assert "this run removed 1 access key before that" in message


def test_a_user_recreated_and_protected_before_the_first_change_keeps_everything(sandbox):
    """The run saw the old user; it is another one, protected, by the time the run would change it (after any
    approval wait): take_snapshot reads it again and the run stops there, having changed nothing."""
    iam = sandbox.iam
    [policy] = seed_user(iam, "alice", NOTHING | {"managed_policies": 1, "inline_policies": 1})["managed_policies"]
    recreate = [
        {"Action": "DetachUserPolicy", "UserName": "alice", "PolicyArn": policy},
        {"Action": "DeleteUserPolicy", "UserName": "alice", "PolicyName": "inline-0"},
        {"Action": "DeleteUser", "UserName": "alice"},
        {
            "Action": "CreateUser",
            "UserName": "alice",
            "Tags.member.1.Key": "lifecycle:protected",
            "Tags.member.1.Value": "true",
        },
        {"Action": "AttachUserPolicy", "UserName": "alice", "PolicyArn": policy},
        {"Action": "PutUserPolicy", "UserName": "alice", "PolicyName": "inline-0", "PolicyDocument": POLICY},
        {"Action": "CreateLoginProfile", "UserName": "alice", "Password": PASSWORD},
    ]
    # Just before the listing's last call: what the run plans is the old user's.
    sandbox.set_faults({"before": {"ListMFADevices": {"requests": recreate}}})
    sandbox.clear_calls()  # the seeding's

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["take_snapshot"] == "failed"
    assert sandbox.mutating_calls() == [], "the run changed a user it did not check"
    assert has_login_profile(iam, "alice")
    assert holdings(iam, "alice")["policies"] == [policy] and holdings(iam, "alice")["inline"] == ["inline-0"]
    [alert] = sandbox.messages
    assert alert.startswith("FAILED: iam_user_offboarding / take_snapshot")
    assert "is not the user this run checked" in alert and alert.endswith("nothing was changed.")


def test_a_user_protected_after_the_snapshot_is_not_changed_by_any_removal(sandbox):
    """Tagged lifecycle:protected while the snapshot is written: each removal task reads the user before its first
    call, so none of them acts."""
    iam = sandbox.iam
    seed_user(
        iam, "alice", NOTHING | {"managed_policies": 1, "inline_policies": 1, "access_keys": 1, "login_profile": True}
    )
    before = holdings(iam, "alice")
    protect = {
        "Action": "TagUser",
        "UserName": "alice",
        "Tags.member.1.Key": "lifecycle:protected",
        "Tags.member.1.Value": "true",
    }
    # The snapshot reads the inline policy's document after take_snapshot has read the user again.
    sandbox.set_faults({"before": {"GetUserPolicy": {"requests": [protect]}}})
    sandbox.clear_calls()  # the seeding's

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["contain_user"] == "failed"
    assert (
        result.task_states["delete_login_profile"] == result.task_states["deactivate_access_keys"] == "upstream_failed"
    )
    assert sandbox.mutating_calls() == [], "the run changed a protected user"
    assert holdings(iam, "alice") == before and has_login_profile(iam, "alice")
    assert {k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]} == {"Active"}
    assert all("is protected: it is tagged lifecycle:protected=true now" in alert for alert in sandbox.messages)


def test_a_password_and_key_created_after_the_listing_are_taken_away_with_sign_in(sandbox):
    """The sign-in tasks read the password and keys when they act: a later removal denied leaves no sign-in."""
    iam = sandbox.iam
    seed_user(iam, "alice", NOTHING | {"inline_policies": 1, "mfa_devices": 1})
    late = [
        {"Action": "CreateLoginProfile", "UserName": "alice", "Password": PASSWORD},
        {"Action": "CreateAccessKey", "UserName": "alice"},
    ]
    sandbox.set_faults({"before": {"GetUserPolicy": {"requests": late}}, "fail": {"DeleteUser": ["AccessDenied", 99]}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed" and result.task_states["delete_user"] == "failed"
    assert not has_login_profile(iam, "alice"), "a console password created after the listing survived"
    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert len(keys) == 1 and keys[0]["Status"] == "Inactive"
    assert holdings(iam, "alice")["mfa"] == []
    [alert] = sandbox.messages
    assert "alice still holds: console password: none; active access keys: 0;" in alert


def test_slack_counts_what_this_run_removed_not_what_it_planned(sandbox):
    iam = sandbox.iam
    policies = seed_user(iam, "alice", NOTHING | {"managed_policies": 2, "inline_policies": 1})["managed_policies"]
    someone_else = {"Action": "DetachUserPolicy", "UserName": "alice", "PolicyArn": policies[1]}
    # After the listing, before the removals: another actor detaches one of the planned policies.
    sandbox.set_faults({"before": {"GetUserPolicy": {"requests": [someone_else]}}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    [message] = sandbox.messages
    lines = message.splitlines()
    assert "Removed: 1 managed policy, 1 inline policy" in lines
    assert "Already gone when this run came to remove them: 1 managed policy" in lines
