"""The organization's offboarding and IAM Identity Center: what the approval page lists and approves, the Slack
summary, why the run fails, and the proof that reads every account and the identity store again (in-process moto
Organizations and Identity Center)."""

from __future__ import annotations

import boto3
import pytest

from iam_lifecycle.accounts import targets
from iam_lifecycle.approval.pages import organization_request
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.identity_center import person
from iam_lifecycle.messages.summaries import organization_offboarding_message
from iam_lifecycle.offboarding import organization
from sandbox import identity_center
from sandbox.identity_center import Seed
from tests.helpers import set_connection
from tests.organization_accounts import add_member_account

identity_center.apply()
DEV, PROD, STORE = "111111111111", "222222222222", "d-1234567890"
PARAMS = {"user_name": "alice", "organization_conn_id": "aws_org", "reason": "JIRA-9", "dry_run": False}
ADMIN = {"account_id": DEV, "permission_set_arn": "arn:ps/admin", "permission_set_name": "Admin"}
DEPLOY = {"account_id": PROD, "permission_set_arn": "arn:ps/deploy", "permission_set_name": "Deploy"}
ENGINEERS = {"membership_id": "m-1", "group_id": "g-1", "group_name": "engineers", "access": [DEPLOY]}
CENTER = {"enabled": True, "error": None, "instance_arn": "arn:aws:sso:::instance/ssoins-1", "identity_store_id": STORE,
          "user_name": "alice", "user_id": "u-1", "user": {"UserName": "alice"}, "assignments": [ADMIN],
          "memberships": [ENGINEERS]}  # fmt: skip
#: alice has no IAM user anywhere, only her Identity Center user.
ONLY_IN_CENTER = {"present": [], "absent": [], "failed": [], "confs": [], "identity_center": CENTER}


def test_a_person_only_in_identity_center_is_approved_with_everything_listed_in_aws_order():
    request = organization_request(ONLY_IN_CENTER, PARAMS)

    assert request["required"] is True
    assert request["subject"] == "Delete the IAM Identity Center user alice (no IAM user alice in the organization)?"
    body = request["body"].splitlines()
    start = body.index(f"#### IAM Identity Center (identity store {STORE})")
    assert body[start + 2 :][:7] == [
        "User `alice` (UserId u-1) is removed in this order:",
        "",
        "| step | what will be removed |",
        "| --- | --- |",
        f"| 1. its account assignments, in every account | Admin in {DEV} |",
        f"| 2. its group memberships | engineers (access that ends with it: Deploy in {PROD}; the group's own "
        "assignments stay) |",
        "| 3. the user | alice |",
    ]
    # What the signed record approves: the Identity Center user, by its identity store and UserId.
    assert organization.approval_targets(ONLY_IN_CENTER, "alice") == [
        {"account": STORE, "user_name": "alice", "user_id": "u-1"}
    ]
    assert organization_request(ONLY_IN_CENTER, PARAMS | {"dry_run": True})["required"] is False
    absent = {**ONLY_IN_CENTER, "identity_center": {**CENTER, "user_id": None, "user": None}}
    assert organization_request(absent, PARAMS)["required"] is False
    assert organization.approval_targets(absent, "alice") == []


def test_the_summary_says_what_was_removed_from_identity_center_and_the_proof():
    removed = {"user_name": "alice", "user_id": "u-1", "snapshot_uri": "file:///s.json", "assignments": [ADMIN],
               "memberships": [ENGINEERS], "user_deleted": True, "failed": None}  # fmt: skip
    verified = {"accounts": 4, "identity_center": True, "left": []}

    lines = organization_offboarding_message(
        PARAMS, "r", ONLY_IN_CENTER, [], removed=removed, verified=verified
    ).splitlines()

    assert lines[3:5] == [
        f"Removed from Identity Center: user alice, 1 account assignment (Admin in {DEV}), 1 group membership "
        f"(engineers (which gives Deploy in {PROD})); snapshot file:///s.json",
        "Verified: no IAM user alice in any of 4 accounts, no Identity Center user",
    ]
    assert organization.failed_reason(ONLY_IN_CENTER, [], removed, verified) is None


@pytest.mark.parametrize(
    ("center", "line"),
    [
        (person.skipped("identity_center is false"), "Identity Center: not read (identity_center is false)"),
        ({**CENTER, "user_id": None}, f"Identity Center: no user alice in identity store {STORE}"),
        (
            {"enabled": True, "error": "An error occurred (AccessDeniedException)", "user_name": "alice"},
            "FAILED in Identity Center: could not be read: An error occurred (AccessDeniedException)",
        ),
    ],
)
def test_identity_center_not_read_absent_or_unreachable_is_said_and_only_unreachable_fails(center, line):
    plan = {**ONLY_IN_CENTER, "identity_center": center}

    assert organization_offboarding_message(PARAMS, "r", plan, []).splitlines()[3] == line
    failed = organization.failed_reason(plan, [])
    assert (failed is not None) == bool(center.get("error"))


@pytest.fixture
def org(aws, monkeypatch):
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    add_member_account(orgs, DEV, "dev")
    add_member_account(orgs, PROD, "prod")
    identity_center.configure({"in_progress_polls": 0})
    yield Seed(boto3.client("sso-admin", region_name="us-east-1"), boto3.client("identitystore", "us-east-1"))
    identity_center.configure({})


def test_the_proof_reads_every_account_and_the_identity_store_and_names_what_is_left(org):
    accounts = targets.organization_targets("aws_org")
    alice = org.user("alice")
    admin = org.permission_set("Admin")
    org.assign(DEV, admin, alice)
    params = {"user_name": "alice", "organization_conn_id": "aws_org", "identity_center": None}
    lookup = person.look_up(params)
    account_hook(IamHook, {"aws_conn_id": "aws_org", "account_id": PROD}, "r").conn.create_user(UserName="alice")

    left = organization.verify_nothing_left(accounts, "alice", lookup, "aws_org", "r")

    assert left == {
        "accounts": 3,
        "identity_center": True,
        "left": [
            f"IAM user alice in {PROD} prod",
            f"Identity Center user alice ({alice})",
            f"Identity Center assignment Admin in {DEV}",
        ],
    }
    assert organization.failed_reason({**ONLY_IN_CENTER, "identity_center": lookup}, [], None, left).startswith(
        f"left after the run: IAM user alice in {PROD} prod; Identity Center user alice"
    )

    org.sso.delete_account_assignment(
        InstanceArn=org.instance_arn, TargetId=DEV, TargetType="AWS_ACCOUNT", PermissionSetArn=admin,
        PrincipalType="USER", PrincipalId=alice,
    )  # fmt: skip
    org.ids.delete_user(IdentityStoreId=org.store_id, UserId=alice)
    account_hook(IamHook, {"aws_conn_id": "aws_org", "account_id": PROD}, "r").conn.delete_user(UserName="alice")
    assert organization.verify_nothing_left(accounts, "alice", lookup, "aws_org", "r")["left"] == []
