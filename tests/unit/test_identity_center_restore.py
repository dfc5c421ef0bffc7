"""A removed Identity Center user put back from its snapshot (in-process moto, held to AWS's rules): its
attributes, its memberships of the groups that still exist, its own assignments; a user of that name refused."""

from __future__ import annotations

import boto3
import pytest

from iam_lifecycle.compat import AirflowFailException
from iam_lifecycle.identity_center import person, removal, restore
from sandbox import identity_center
from sandbox.identity_center import Seed

identity_center.apply()
DEV, PROD = "111111111111", "222222222222"
PARAMS = {"user_name": "alice", "organization_conn_id": "aws_default", "identity_center": None}


@pytest.fixture
def removed(aws, tmp_path, monkeypatch):
    """alice (Admin in dev, ReadOnly in prod, in engineers and in temps) removed, with her snapshot's URI."""
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    identity_center.configure({"in_progress_polls": 1})
    center = Seed(boto3.client("sso-admin", region_name="us-east-1"), boto3.client("identitystore", "us-east-1"))
    alice = center.user("alice", Title="Engineer")
    sets = {name: center.permission_set(name) for name in ("Admin", "ReadOnly")}
    center.assign(DEV, sets["Admin"], alice)
    center.assign(PROD, sets["ReadOnly"], alice)
    groups = {name: center.group(name, alice) for name in ("engineers", "temps")}
    outcome = removal.remove_person(
        "aws_default", person.look_up(PARAMS), run_id="r", reason="", trail={}, poll_seconds=0
    )
    yield center, sets, groups, outcome["snapshot_uri"]
    identity_center.configure({})


def test_the_user_comes_back_with_its_memberships_and_assignments_but_of_a_group_gone_since(removed):
    center, sets, groups, uri = removed
    center.ids.delete_group(IdentityStoreId=center.store_id, GroupId=groups["temps"])

    back = restore.restore_person("aws_default", restore.restore_plan(uri), poll_seconds=0)

    user_id = center.user_id("alice")
    assert user_id == back["user_id"]
    described = center.ids.describe_user(IdentityStoreId=center.store_id, UserId=user_id)
    assert (described["Title"], described["Emails"][0]["Value"]) == ("Engineer", "alice@example.com")
    assert center.memberships(groups["engineers"]) == [user_id]
    assert center.assignments(user_id) == sorted([(DEV, sets["Admin"]), (PROD, sets["ReadOnly"])])
    assert (back["missing_groups"], back["failed"]) == (["temps"], [])


def test_a_user_of_that_name_is_refused_and_nothing_is_changed(removed):
    center, _, groups, uri = removed
    someone = center.user("alice")

    with pytest.raises(AirflowFailException, match="exists already in identity store .*; nothing was changed"):
        restore.restore_person("aws_default", restore.restore_plan(uri), poll_seconds=0)

    assert center.assignments(someone) == [] and center.memberships(groups["engineers"]) == []


def test_a_file_that_is_no_identity_center_snapshot_is_refused(tmp_path):
    other = tmp_path / "iam.json"
    other.write_text('{"version": 1, "user": {"UserName": "alice"}}')

    with pytest.raises(ValueError, match="is not an iam-lifecycle Identity Center snapshot"):
        restore.restore_plan(f"file://{other}")


def test_an_identity_center_snapshot_given_as_an_iam_snapshot_is_refused(removed):
    from iam_lifecycle import snapshots

    with pytest.raises(ValueError, match="is not an iam-lifecycle snapshot"):
        snapshots.read_snapshot(removed[3])
