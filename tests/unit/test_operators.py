"""Each operator executed against in-process moto, as a task would run it."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.operators import offboarding as ops
from iam_lifecycle.operators.users import GetCallerIdentityOperator, GetUserOperator
from sandbox.seed import NOTHING, seed_user

CALLER = "arn:aws:sts::123456789012:user/moto"


def run(operator):
    """Execute like a worker does, and check the result can travel through XCom."""
    result = operator.execute(context={})
    json.dumps(result)
    return result


def test_get_user_describes_the_user(iam):
    iam.create_user(UserName="alice", Path="/staff/", Tags=[{"Key": "team", "Value": "data"}])

    user = run(GetUserOperator(task_id="t", user_name="alice"))

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
        GetUserOperator(task_id="t", user_name=name).execute(context={})


@pytest.mark.parametrize(
    ("variable", "caller", "reason"),
    [
        ('["break-*"]', CALLER, "matches 'break-\\*' in the Variable iam_lifecycle_protected_users"),
        (None, "arn:aws:iam::123456789012:user/break-glass", "it is the identity this DAG runs as"),
    ],
)
def test_get_user_given_the_caller_refuses_a_protected_user(iam, monkeypatch, variable, caller, reason):
    iam.create_user(UserName="break-glass")
    if variable:
        monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", variable)

    assert run(GetUserOperator(task_id="t", user_name="break-glass"))["UserName"] == "break-glass"
    with pytest.raises(AirflowFailException, match=reason):
        GetUserOperator(task_id="t", user_name="break-glass", caller_arn=caller).execute(context={})


def test_list_user_holdings_pushes_each_kind(iam):
    held = seed_user(iam, "alice")
    operator = ops.ListUserHoldingsOperator(task_id="t", user_name="alice")

    found = run(operator)

    assert operator.multiple_outputs
    assert sorted(found["managed_policies"]) == sorted(held["managed_policies"])
    assert sorted(found["groups"]) == sorted(held["groups"])
    assert found["login_profile"] is True


REMOVALS = [
    "inline_policies",
    "groups",
    "access_keys",
    "ssh_public_keys",
    "signing_certificates",
    "service_specific_credentials",
    "mfa_devices",
]


@pytest.mark.parametrize("kind", REMOVALS)
def test_each_removal_removes_its_kind_only(iam, kind):
    held = seed_user(iam, "alice")

    outcome = run(ops.RemoveUserItemsOperator(task_id="t", user_name="alice", kind=kind, items=held[kind]))

    assert sorted(outcome["removed"]) == sorted(held[kind]) and outcome["already_gone"] == []
    after = offboarding.list_holdings(IamHook(aws_conn_id="aws_default"), "alice")
    assert after[kind] == []
    assert all(after[k] for k in held if k != kind), "another kind was touched"

    again = run(ops.RemoveUserItemsOperator(task_id="t", user_name="alice", kind=kind, items=held[kind]))
    assert again == {"removed": [], "already_gone": held[kind]}


def test_an_unknown_kind_is_refused_when_the_dag_is_parsed():
    with pytest.raises(ValueError, match="kind must be one of"):
        ops.RemoveUserItemsOperator(task_id="t", user_name="alice", kind="login_profile", items=[])


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


def test_delete_user_pins_the_checked_user(iam):
    seed_user(iam, "alice", NOTHING)
    checked = run(GetUserOperator(task_id="t", user_name="alice"))
    delete = ops.DeleteUserOperator(
        task_id="t", user_name="alice", user=checked, caller_arn="arn:aws:sts::123456789012:user/moto", snapshot_uri="-"
    )

    assert run(delete)["deleted"] is True
    assert run(delete)["gone_before"] is True


def test_get_caller_identity(aws):
    assert run(GetCallerIdentityOperator(task_id="t")) == "arn:aws:sts::123456789012:user/moto"


def test_delete_login_profile_makes_no_call_when_the_listing_found_none(iam, iam_calls):
    seed_user(iam, "alice", NOTHING)
    iam_calls.clear()

    outcome = run(ops.DeleteLoginProfileOperator(task_id="t", user_name="alice", has_login_profile=False))

    assert outcome == {"removed": [], "already_gone": []}
    assert iam_calls == []
