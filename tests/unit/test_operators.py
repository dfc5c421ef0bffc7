"""Each operator executed against in-process moto, as a task would run it."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle import operators as ops
from iam_lifecycle.hooks import IamHook
from sandbox.seed import NOTHING, seed_user


def run(operator):
    """Execute like a worker does, and check the result can travel through XCom."""
    result = operator.execute(context={})
    json.dumps(result)
    return result


def test_get_user_describes_the_user(iam):
    iam.create_user(UserName="alice", Path="/staff/", Tags=[{"Key": "team", "Value": "data"}])

    user = run(ops.GetUserOperator(task_id="t", user_name="alice"))

    assert user["UserName"] == "alice"
    assert user["Arn"] == "arn:aws:iam::123456789012:user/staff/alice"
    assert user["Path"] == "/staff/"
    assert user["Tags"] == {"team": "data"}
    assert user["PermissionsBoundary"] is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("nobody", "'nobody' does not exist"),
        ("", "is not a valid IAM user name"),
        ("a b", "is not a valid IAM user name"),
        ("x" * 65, "is not a valid IAM user name"),
        ("arn:aws:iam::123456789012:user/alice", "not an ARN"),
    ],
)
def test_get_user_fails_without_retry_and_says_why(iam, name, reason):
    with pytest.raises(AirflowFailException, match=reason):
        ops.GetUserOperator(task_id="t", user_name=name).execute(context={})


def test_list_attached_user_policies(iam):
    held = seed_user(iam, "alice", NOTHING | {"managed_policies": 3})
    assert sorted(run(ops.ListAttachedUserPoliciesOperator(task_id="t", user_name="alice"))) == sorted(
        held["managed_policies"]
    )


def test_list_user_dependencies_leaves_managed_policies_to_their_own_task(iam):
    held = seed_user(iam, "alice")
    operator = ops.ListUserDependenciesOperator(task_id="t", user_name="alice")

    found = run(operator)

    assert operator.multiple_outputs
    assert "managed_policies" not in found
    assert sorted(found["groups"]) == sorted(held["groups"])
    assert found["login_profile"] is True


REMOVALS = [
    (ops.DeleteUserPoliciesOperator, "policy_names", "inline_policies"),
    (ops.RemoveUserFromGroupsOperator, "group_names", "groups"),
    (ops.DeleteAccessKeysOperator, "access_key_ids", "access_keys"),
    (ops.DeleteSshPublicKeysOperator, "ssh_public_key_ids", "ssh_public_keys"),
    (ops.DeleteSigningCertificatesOperator, "certificate_ids", "signing_certificates"),
    (ops.DeleteServiceSpecificCredentialsOperator, "credential_ids", "service_specific_credentials"),
    (ops.DeleteMfaDevicesOperator, "serial_numbers", "mfa_devices"),
]


@pytest.mark.parametrize(("operator_class", "argument", "kind"), REMOVALS)
def test_each_removal_removes_its_kind_only(iam, operator_class, argument, kind):
    held = seed_user(iam, "alice")

    outcome = run(operator_class(task_id="t", user_name="alice", **{argument: held[kind]}))

    assert sorted(outcome["removed"]) == sorted(held[kind]) and outcome["already_gone"] == []
    after = IamHook(aws_conn_id="aws_default").list_dependencies("alice")
    assert after[kind] == []
    assert all(after[k] for k in held if k != kind), "another kind was touched"
    assert argument in operator_class.template_fields and "user_name" in operator_class.template_fields

    again = run(operator_class(task_id="t", user_name="alice", **{argument: held[kind]}))
    assert again == {"removed": [], "already_gone": held[kind]}


def test_detach_user_policy(iam):
    held = seed_user(iam, "alice", NOTHING | {"managed_policies": 2})
    first = held["managed_policies"][0]

    assert run(ops.DetachUserPolicyOperator(task_id="t", user_name="alice", policy_arn=first)) == {
        "removed": [first],
        "already_gone": [],
    }
    remaining = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]]
    assert remaining == held["managed_policies"][1:]


def test_delete_login_profile_with_and_without_one(iam):
    seed_user(iam, "alice", NOTHING | {"login_profile": True})

    assert run(ops.DeleteLoginProfileOperator(task_id="t", user_name="alice"))["removed"] == ["alice"]
    assert run(ops.DeleteLoginProfileOperator(task_id="t", user_name="alice"))["already_gone"] == ["alice"]


def test_delete_user(iam):
    seed_user(iam, "alice", NOTHING)

    assert run(ops.DeleteUserOperator(task_id="t", user_name="alice")) == {"deleted": True}
    assert run(ops.DeleteUserOperator(task_id="t", user_name="alice")) == {"deleted": False}


def test_get_caller_identity(aws):
    assert run(ops.GetCallerIdentityOperator(task_id="t")) == "arn:aws:sts::123456789012:user/moto"


def test_delete_login_profile_makes_no_call_when_the_listing_found_none(iam, iam_calls):
    seed_user(iam, "alice", NOTHING)
    iam_calls.clear()

    outcome = run(ops.DeleteLoginProfileOperator(task_id="t", user_name="alice", has_login_profile=False))

    assert outcome == {"removed": [], "already_gone": []}
    assert iam_calls == []
