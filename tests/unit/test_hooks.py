"""IamHook (one AWS call or paginator per method) against in-process moto, held to AWS's DeleteUser rule."""

from __future__ import annotations

import pytest
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.exceptions import ParamValidationError

from iam_lifecycle.aws.base import DEFAULT_RETRIES
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import StsHook
from sandbox.seed import NOTHING, seed_user


@pytest.fixture
def hook(aws):
    return IamHook(aws_conn_id="aws_default")


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


def test_errors_propagate_gone_included(iam, hook):
    seed_user(iam, "alice", NOTHING)
    with pytest.raises(ParamValidationError):
        hook.detach_user_policy("alice", ["not-an-arn"])
    with pytest.raises(hook.conn.exceptions.NoSuchEntityException):
        hook.delete_access_key("alice", "AKIAGONEGONEGONEGONE")


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


def test_the_user_agent_names_the_calling_operator_as_the_provider_would(aws):
    """The provider's Caller/… (the class whose execute() uses the hook), found without inspect.stack()."""

    class SomeOperator:
        def execute(self, hook):
            return hook._get_caller(), AwsBaseHook._get_caller(hook), hook._get_config().user_agent_extra

    ours, providers, user_agent = SomeOperator().execute(IamHook(aws_conn_id="aws_default"))

    assert ours == providers == "SomeOperator"
    assert "Caller/SomeOperator" in user_agent
