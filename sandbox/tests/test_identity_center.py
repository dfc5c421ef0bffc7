"""sandbox.identity_center holds moto's Identity Center to AWS's rules: memberships go with their user, an
assignment deletion is asynchronous, and the deletion of a gone user's assignment fails."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from sandbox import identity_center
from sandbox.identity_center import INJECTED_FAILURE, PRINCIPAL_GONE, Seed

identity_center.apply()
ACCOUNT = "111111111111"


@pytest.fixture
def center(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    identity_center.configure({})
    with mock_aws():
        yield Seed(boto3.client("sso-admin", region_name="us-east-1"), boto3.client("identitystore", "us-east-1"))
    identity_center.configure({})


def delete(center: Seed, permission_set: str, user_id: str) -> dict:
    return center.sso.delete_account_assignment(
        InstanceArn=center.instance_arn,
        TargetId=ACCOUNT,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=permission_set,
        PrincipalType="USER",
        PrincipalId=user_id,
    )["AccountAssignmentDeletionStatus"]


def status(center: Seed, request_id: str) -> dict:
    return center.sso.describe_account_assignment_deletion_status(
        InstanceArn=center.instance_arn, AccountAssignmentDeletionRequestId=request_id
    )["AccountAssignmentDeletionStatus"]


def test_a_deleted_users_memberships_go_with_it_and_the_others_stay(center):
    alice, bob = center.user("alice"), center.user("bob")
    group = center.group("engineers", alice, bob)

    center.ids.delete_user(IdentityStoreId=center.store_id, UserId=alice)

    assert center.memberships(group) == [bob]


def test_an_assignment_deletion_is_in_progress_first_and_done_on_a_later_status_read(center):
    alice = center.user("alice")
    admin = center.permission_set("Admin")
    center.assign(ACCOUNT, admin, alice)
    identity_center.configure({"in_progress_polls": 2})

    started = delete(center, admin, alice)

    assert started["Status"] == "IN_PROGRESS"
    assert center.assignments(alice) == [(ACCOUNT, admin)]  # not done yet
    assert [status(center, started["RequestId"])["Status"] for _ in range(3)] == [
        "IN_PROGRESS",
        "IN_PROGRESS",
        "SUCCEEDED",
    ]
    assert center.assignments(alice) == []


def test_the_deletion_of_a_gone_users_assignment_fails_and_the_assignment_stays(center):
    alice = center.user("alice")
    admin = center.permission_set("Admin")
    center.assign(ACCOUNT, admin, alice)
    center.ids.delete_user(IdentityStoreId=center.store_id, UserId=alice)

    started = delete(center, admin, alice)
    assert status(center, started["RequestId"])["Status"] == "IN_PROGRESS"
    ended = status(center, started["RequestId"])

    assert (ended["Status"], ended["FailureReason"]) == ("FAILED", PRINCIPAL_GONE)
    assert center.assignments(alice) == [(ACCOUNT, admin)]


def test_an_injected_fault_fails_one_deletion_after_the_skipped_ones(center):
    alice = center.user("alice")
    sets = [center.permission_set(name) for name in ("A", "B", "C")]
    for permission_set in sets:
        center.assign(ACCOUNT, permission_set, alice)
    identity_center.configure({"fail_deletions": [1, 1], "in_progress_polls": 0})

    ended = [delete(center, permission_set, alice) for permission_set in sets]

    assert [e["Status"] for e in ended] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert ended[1]["FailureReason"] == INJECTED_FAILURE
    assert center.assignments(alice) == [(ACCOUNT, sets[1])]


def test_an_assignment_creation_is_in_progress_first(center):
    alice = center.user("alice")
    admin = center.permission_set("Admin")

    started = center.sso.create_account_assignment(
        InstanceArn=center.instance_arn,
        TargetId=ACCOUNT,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=admin,
        PrincipalType="USER",
        PrincipalId=alice,
    )["AccountAssignmentCreationStatus"]
    read = [
        center.sso.describe_account_assignment_creation_status(
            InstanceArn=center.instance_arn, AccountAssignmentCreationRequestId=started["RequestId"]
        )["AccountAssignmentCreationStatus"]["Status"]
        for _ in range(2)
    ]

    assert [started["Status"], *read] == ["IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"]
