"""An AWS connection must exist (no fallback on the worker's own credentials) and may pin its account."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.aws.connections import aws_connection
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import SecretsManagerHook, StsHook
from iam_lifecycle.operators.users import GetCallerIdentityOperator

ACCOUNT = "123456789012"  # moto's default account, reached by the test credentials


@pytest.fixture
def aws_calls():
    """Every AWS API call made by any boto3 client created during the test, as 'service.Operation'."""
    from botocore.handlers import BUILTIN_HANDLERS

    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(f"{model.service_model.service_name}.{model.name}")

    handler = ("before-call", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


def pin_account(monkeypatch, conn_id: str, account_id) -> None:
    extra = {"region_name": "us-east-1", "account_id": account_id}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "aws", "extra": extra}))


def test_an_existing_connection_is_returned(aws):
    assert aws_connection("aws_default").conn_type == "aws"


def test_a_missing_connection_fails_without_retry_and_says_why(aws):
    with pytest.raises(AirflowFailException) as raised:
        aws_connection("aws_typo")

    assert str(raised.value) == "AWS connection aws_typo does not exist; nothing was changed."


@pytest.mark.parametrize("hook_class", [IamHook, StsHook, SecretsManagerHook])
def test_every_hook_refuses_a_missing_connection_before_any_aws_call(aws, aws_calls, hook_class):
    """The provider would fall back on the worker's credentials, which moto (like a real role) accepts."""
    hook = hook_class(aws_conn_id="aws_typo")

    with pytest.raises(AirflowFailException, match="^AWS connection aws_typo does not exist; nothing was changed.$"):
        hook.conn  # noqa: B018 (the client is built on first use)

    assert aws_calls == []


def test_get_caller_identity_fails_on_a_missing_connection_before_any_aws_call(aws, aws_calls):
    with pytest.raises(AirflowFailException, match="^AWS connection aws_typo does not exist; nothing was changed.$"):
        GetCallerIdentityOperator(task_id="t", aws_conn_id="aws_typo").execute(context={})

    assert aws_calls == []


def test_a_connection_must_reach_the_account_its_extra_names(aws, aws_calls, monkeypatch):
    pin_account(monkeypatch, "aws_prod", "111111111111")

    with pytest.raises(AirflowFailException) as raised:
        GetCallerIdentityOperator(task_id="t", aws_conn_id="aws_prod").execute(context={})

    assert str(raised.value) == (
        f"AWS connection aws_prod reaches account {ACCOUNT}, but its extra says account_id 111111111111; "
        "nothing was changed."
    )
    assert aws_calls == ["sts.GetCallerIdentity"]
    for account_id in (ACCOUNT, int(ACCOUNT), None):  # None: no account named, nothing to compare
        pin_account(monkeypatch, "aws_prod", account_id)
        arn = GetCallerIdentityOperator(task_id="t", aws_conn_id="aws_prod").execute(context={})
        assert arn == f"arn:aws:sts::{ACCOUNT}:user/moto"


def test_an_account_id_given_as_a_json_number_keeps_its_leading_zero(aws, monkeypatch):
    pin_account(monkeypatch, "aws_prod", 12345678901)  # 012345678901 is not valid JSON

    with pytest.raises(AirflowFailException, match="but its extra says account_id 012345678901;"):
        StsHook(aws_conn_id="aws_prod").get_caller_arn()
