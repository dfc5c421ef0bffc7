"""IamHook against in-process moto, held to AWS's DeleteUser rule."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from iam_lifecycle.hooks import DEFAULT_RETRIES, IamHook, StsHook
from sandbox.seed import EVERYTHING, NOTHING, seed_user


def sorted_if_list(value):
    return sorted(value) if isinstance(value, list) else value


@pytest.fixture
def hook(aws):
    return IamHook(aws_conn_id="aws_default")


def test_lists_everything_a_user_holds(iam, hook):
    held = seed_user(iam, "alice")
    seed_user(iam, "bob")

    found = hook.list_dependencies("alice")

    assert {kind: sorted_if_list(found[kind]) for kind in held} == {k: sorted_if_list(v) for k, v in held.items()}
    assert sorted(k["AccessKeyId"] for k in found["access_key_details"]) == sorted(held["access_keys"])
    assert {k["Status"] for k in found["access_key_details"]} == {"Active"}


def test_listing_follows_every_page(iam, aws, iam_calls):
    held = seed_user(iam, "alice", NOTHING | {"managed_policies": 12})
    hook = IamHook(aws_conn_id="aws_default", page_size=5)
    iam_calls.clear()

    assert sorted(hook.list_attached_user_policies("alice")) == sorted(held["managed_policies"])
    assert iam_calls == ["ListAttachedUserPolicies"] * 3


def test_service_specific_credentials_follow_the_marker(iam, aws, iam_calls):
    held = seed_user(iam, "alice", NOTHING | {"service_specific_credentials": 2})
    hook = IamHook(aws_conn_id="aws_default")
    # The sandbox pages this call at MaxItems (default 100); force two pages by asking for one item a page.
    original = hook.conn.list_service_specific_credentials
    hook.conn.list_service_specific_credentials = lambda **kw: original(MaxItems=1, **kw)
    iam_calls.clear()

    assert hook.list_service_specific_credentials("alice") == held["service_specific_credentials"]
    assert iam_calls == ["ListServiceSpecificCredentials"] * 2


def test_removing_what_is_already_gone_is_recorded_not_raised(iam, hook):
    held = seed_user(iam, "alice", NOTHING | {"access_keys": 1})

    outcome = hook.delete_access_key("alice", held["access_keys"] + ["AKIAGONEGONEGONEGONE"])

    assert outcome == {"removed": held["access_keys"], "already_gone": ["AKIAGONEGONEGONEGONE"]}
    assert hook.list_access_keys("alice") == []


def test_other_errors_propagate(iam, hook):
    seed_user(iam, "alice", NOTHING)
    with pytest.raises(ParamValidationError):
        hook.detach_user_policy("alice", ["not-an-arn"])


def test_delete_user_is_refused_while_anything_is_held(iam, hook):
    """The sandbox enforces AWS's rule, so a test of DeleteUser means what it would on AWS."""
    seed_user(iam, "alice", NOTHING | {"ssh_public_keys": 1})
    with pytest.raises(ClientError, match="DeleteConflict.*SSH public keys"):
        iam.delete_user(UserName="alice")


def test_remove_dependencies_then_delete_user(iam, hook):
    seed_user(iam, "alice")
    seed_user(iam, "bob")

    hook.remove_dependencies("alice", hook.list_dependencies("alice"))

    assert hook.delete_user("alice") is True
    assert hook.get_user("alice") is None
    assert hook.list_dependencies("bob")["managed_policies"]


def test_delete_user_removes_what_appeared_since_listing(iam, hook):
    seed_user(iam, "alice", NOTHING)
    iam.create_access_key(UserName="alice")  # e.g. created while the run was removing other things

    assert hook.delete_user("alice", backoff_seconds=0) is True
    assert hook.get_user("alice") is None


def test_delete_user_gives_up_after_its_attempts(iam, hook, monkeypatch):
    seed_user(iam, "alice", NOTHING | {"access_keys": 1})
    monkeypatch.setattr(hook, "remove_dependencies", lambda user, leftovers: None)  # cannot clean up

    with pytest.raises(ClientError, match="DeleteConflict"):
        hook.delete_user("alice", attempts=2, backoff_seconds=0)
    assert hook.get_user("alice") is not None


def test_delete_user_that_is_gone_reports_false(aws, hook):
    assert hook.delete_user("nobody") is False


def test_virtual_mfa_left_deactivated_by_an_interrupted_run_is_deleted(iam, hook):
    held = seed_user(iam, "alice", NOTHING | {"mfa_devices": 1})
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=held["mfa_devices"][0])

    outcome = hook.delete_mfa_device("alice", held["mfa_devices"])

    assert outcome["removed"] == held["mfa_devices"]
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_clients_use_adaptive_retries_unless_configured(aws, monkeypatch):
    assert IamHook(aws_conn_id="aws_default").conn.meta.config.retries == DEFAULT_RETRIES
    assert StsHook(aws_conn_id="aws_default").conn.meta.config.retries == DEFAULT_RETRIES
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        '{"conn_type": "aws", "extra": {"config_kwargs": {"retries": {"mode": "standard", "max_attempts": 3}}}}',
    )
    assert IamHook(aws_conn_id="aws_default").conn.meta.config.retries == {
        "mode": "standard",
        "total_max_attempts": 4,  # botocore counts the first attempt too
    }


def test_caller_arn(aws):
    assert StsHook(aws_conn_id="aws_default").get_caller_arn() == "arn:aws:sts::123456789012:user/moto"


def test_everything_shape_matches_the_hooks_kinds():
    from iam_lifecycle.hooks import DEPENDENCY_KINDS

    assert set(EVERYTHING) == set(DEPENDENCY_KINDS)
