"""A person in IAM Identity Center (in-process moto, held to AWS's rules by sandbox.identity_center): found with
everything it holds, removed in AWS's order, a FAILED deletion stopping the removal, and Identity Center left
alone when asked or absent."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto.ssoadmin.models import ssoadmin_backends

from iam_lifecycle.compat import AirflowFailException
from iam_lifecycle.identity_center import person, removal
from sandbox import identity_center
from sandbox.identity_center import INJECTED_FAILURE, Seed

identity_center.apply()
DEV, PROD = "111111111111", "222222222222"
PARAMS = {"user_name": "alice", "organization_conn_id": "aws_default", "identity_center": None}
TRAIL = {"requested_by": "operator", "approved_by": ["admin"]}


@pytest.fixture
def center(aws):
    identity_center.configure({"in_progress_polls": 2})
    yield Seed(boto3.client("sso-admin", region_name="us-east-1"), boto3.client("identitystore", "us-east-1"))
    identity_center.configure({})


@pytest.fixture
def people(center):
    """alice: Admin in dev and ReadOnly in prod of her own, and engineers (Deploy in prod); bob, a bystander, in
    engineers too, with his own Admin in dev."""
    alice, bob = center.user("alice"), center.user("bob")
    admin, read_only, deploy = (center.permission_set(n) for n in ("Admin", "ReadOnly", "Deploy"))
    center.assign(DEV, admin, alice)
    center.assign(PROD, read_only, alice)
    center.assign(DEV, admin, bob)
    engineers = center.group("engineers", alice, bob)
    center.assign(PROD, deploy, engineers, "GROUP")
    return {
        "alice": alice,
        "bob": bob,
        "engineers": engineers,
        "admin": admin,
        "read_only": read_only,
        "deploy": deploy,
    }


@pytest.fixture
def sso_calls():
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    handlers = [("before-call.sso-admin", record), ("before-call.identitystore", record)]
    BUILTIN_HANDLERS.extend(handlers)
    yield calls
    for handler in handlers:
        BUILTIN_HANDLERS.remove(handler)


def remove(lookup: dict, tmp_path, monkeypatch) -> dict:
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    return removal.remove_person(
        "aws_default", lookup, run_id="manual__1", reason="JIRA-7", trail=TRAIL, poll_seconds=0
    )


def test_the_person_is_found_with_its_assignments_and_the_access_each_group_gives(center, people):
    found = person.look_up(PARAMS)

    assert (found["enabled"], found["error"], found["user_id"]) == (True, None, people["alice"])
    assert found["identity_store_id"] == center.store_id and found["user"]["UserName"] == "alice"
    assert [(a["account_id"], a["permission_set_name"]) for a in found["assignments"]] == [
        (DEV, "Admin"),
        (PROD, "ReadOnly"),
    ]
    [membership] = found["memberships"]
    assert (membership["group_name"], membership["access"]) == (
        "engineers",
        [{"account_id": PROD, "permission_set_arn": people["deploy"], "permission_set_name": "Deploy"}],
    )
    assert person.holds_anything(found)


def test_the_identity_center_user_name_is_looked_up_when_given(center, people):
    center.user("alice.smith@example.com")

    found = person.look_up(PARAMS | {"identity_center_user_name": "alice.smith@example.com"})

    assert found["user"]["UserName"] == "alice.smith@example.com" and found["assignments"] == []


def test_removal_deletes_assignments_then_memberships_then_the_user_and_leaves_the_others(
    center, people, tmp_path, monkeypatch, sso_calls
):
    found = person.look_up(PARAMS)
    sso_calls.clear()

    outcome = remove(found, tmp_path, monkeypatch)

    assert center.user_id("alice") is None
    assert center.assignments(people["alice"]) == []
    assert center.memberships(people["engineers"]) == [people["bob"]]
    # The bystander and the group's own assignments are untouched.
    assert center.assignments(people["bob"]) == [(DEV, people["admin"])]
    assert center.assignments(people["engineers"], "GROUP") == [(PROD, people["deploy"])]
    assert (outcome["failed"], outcome["user_deleted"], len(outcome["assignments"])) == (None, True, 2)
    assert [m["group_name"] for m in outcome["memberships"]] == ["engineers"]
    # AWS's order, each deletion polled until done (IN_PROGRESS for two reads here).
    changes = [c for c in sso_calls if c.startswith(("Delete", "DescribeAccountAssignmentDeletion"))]
    assert changes == ["DeleteAccountAssignment"] + ["DescribeAccountAssignmentDeletionStatus"] * 3 + [
        "DeleteAccountAssignment"
    ] + ["DescribeAccountAssignmentDeletionStatus"] * 3 + ["DeleteGroupMembership", "DeleteUser"]
    kept = json.loads((tmp_path / "identity-center" / center.store_id / "alice").glob("*.json").__next__().read_text())
    assert kept["user"]["Emails"] == [{"Value": "alice@example.com", "Type": "work", "Primary": True}]
    assert [m["group_id"] for m in kept["memberships"]] == [people["engineers"]]
    assert [(a["account_id"], a["permission_set_name"]) for a in kept["assignments"]] == [
        (DEV, "Admin"),
        (PROD, "ReadOnly"),
    ]
    assert (kept["reason"], kept["requested_by"], kept["approved_by"]) == ("JIRA-7", "operator", "admin")
    assert outcome["snapshot_uri"].startswith(f"file://{tmp_path}/identity-center/")


def test_a_failed_assignment_deletion_stops_before_the_memberships_and_the_user(center, people, tmp_path, monkeypatch):
    found = person.look_up(PARAMS)
    identity_center.configure({"fail_deletions": [1, 0]})

    outcome = remove(found, tmp_path, monkeypatch)

    assert outcome["failed"] == (
        f"the deletion of 1 account assignment(s) FAILED (Admin in {DEV}: {INJECTED_FAILURE}); its group "
        "memberships and the user are kept"
    )
    assert center.assignments(people["alice"]) == [(DEV, people["admin"])]  # the other one was still deleted
    assert center.user_id("alice") == people["alice"]
    assert center.memberships(people["engineers"]) == sorted([people["alice"], people["bob"]])

    # A later run finishes the removal.
    identity_center.configure({})
    assert remove(person.look_up(PARAMS), tmp_path, monkeypatch)["user_deleted"]
    assert center.user_id("alice") is None and center.assignments(people["alice"]) == []


def test_a_user_recreated_since_the_approval_is_refused(center, people, tmp_path, monkeypatch):
    found = person.look_up(PARAMS)
    center.ids.delete_user(IdentityStoreId=center.store_id, UserId=people["alice"])
    center.user("alice")

    with pytest.raises(AirflowFailException, match=r"recreated since the approval\); nothing was changed"):
        remove(found, tmp_path, monkeypatch)


def test_a_user_not_in_the_identity_store_is_absent_not_an_error(center, people):
    found = person.look_up(PARAMS | {"user_name": "carol"})

    assert (found["enabled"], found["error"], found["user"], found["user_id"]) == (True, None, None, None)
    assert not person.holds_anything(found)


def test_an_instance_that_cannot_be_reached_is_kept_as_an_error(center, sso_calls):
    def deny(**kwargs):
        error = {"Code": "AccessDeniedException", "Message": "not authorized to perform sso:ListInstances"}
        return AWSResponse("https://sso.amazonaws.com/", 400, {}, None), {"Error": error}

    handler = ("before-call.sso-admin.ListInstances", deny)
    BUILTIN_HANDLERS.insert(0, handler)
    try:
        found = person.look_up(PARAMS)
    finally:
        BUILTIN_HANDLERS.remove(handler)

    assert found["enabled"] and found["error"].startswith("An error occurred (AccessDeniedException)")


def test_identity_center_is_left_alone_when_asked_or_absent_and_refused_when_required_but_absent(center, sso_calls):
    assert person.look_up(PARAMS | {"identity_center": False}) == {
        "enabled": False,
        "skipped": "identity_center is false",
    }
    assert sso_calls == []  # not a single call

    ssoadmin_backends["123456789012"]["us-east-1"].instances.clear()
    assert person.look_up(PARAMS)["skipped"] == "AWS connection aws_default administers no IAM Identity Center instance"
    with pytest.raises(AirflowFailException, match="identity_center is true, but .* no IAM Identity Center instance"):
        person.look_up(PARAMS | {"identity_center": True})
