"""The sandbox moto server's call log and fault injection, through a real server process."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from sandbox.identity_center import Seed
from sandbox.net import moto_server_process


def post(url: str, path: str, body: dict) -> None:
    request = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request)


def get(url: str, path: str):
    with urllib.request.urlopen(url + path) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def server():
    with moto_server_process() as url:
        yield url


@pytest.fixture
def iam(server):
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    post(server, "/_sandbox/faults", {})
    urllib.request.urlopen(urllib.request.Request(f"{server}/_sandbox/calls", method="DELETE"))
    return boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_lost_answer_is_applied_and_the_retry_sees_the_result(server, iam):
    iam.create_user(UserName="alice")
    post(server, "/_sandbox/faults", {"lose": {"DeleteUser": [1]}})

    with pytest.raises(iam.exceptions.NoSuchEntityException) as lost:
        iam.delete_user(UserName="alice")

    assert lost.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert get(server, "/_sandbox/faults") == {"DeleteUser:lost": 1}
    assert [c["action"] for c in get(server, "/_sandbox/calls")] == ["CreateUser", "DeleteUser", "DeleteUser"]


def test_requests_before_the_nth_call_are_applied_once_in_the_callers_account(server, iam):
    iam.create_user(UserName="alice")
    key = {"Action": "CreateAccessKey", "UserName": "alice"}
    post(server, "/_sandbox/faults", {"before": {"GetUser": {"skip": 1, "requests": [key]}}})

    iam.get_user(UserName="alice")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    iam.get_user(UserName="alice")
    iam.get_user(UserName="alice")

    assert len(iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1


def test_failures_after_skipping_and_the_call_log(server, iam):
    post(server, "/_sandbox/faults", {"fail": {"CreateUser": ["AccessDenied", 1, 1]}})

    iam.create_user(UserName="first")
    with pytest.raises(iam.exceptions.ClientError, match="AccessDenied"):
        iam.create_user(UserName="second")

    assert [c["params"]["UserName"] for c in get(server, "/_sandbox/calls")] == ["first"]
    assert get(server, "/_sandbox/faults") == {"CreateUser:AccessDenied": 1}


def test_assume_role_is_denied_in_the_listed_accounts_and_calls_name_their_account(server, iam):
    sts = boto3.client(
        "sts", region_name="us-east-1", endpoint_url=server, aws_access_key_id="testing", aws_secret_access_key="t"
    )
    post(server, "/_sandbox/faults", {"deny_assume_role": ["444444444444"]})

    with pytest.raises(sts.exceptions.ClientError, match=r"AccessDenied.*role/IamLifecycleRole") as denied:
        sts.assume_role(RoleArn="arn:aws:iam::444444444444:role/IamLifecycleRole", RoleSessionName="run-1")
    credentials = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/IamLifecycleRole", RoleSessionName="run-1")[
        "Credentials"
    ]
    member = boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=server,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    member.create_user(UserName="in-member")
    iam.create_user(UserName="in-default")
    boto3.client(
        "iam", region_name="us-east-1", endpoint_url=server, aws_access_key_id="222222222222", aws_secret_access_key="t"
    ).create_user(UserName="by-key")

    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert get(server, "/_sandbox/faults") == {"AssumeRole:AccessDenied": 1}
    assert [(c["action"], c["account"]) for c in get(server, "/_sandbox/calls")] == [
        ("AssumeRole", "123456789012"),
        ("CreateUser", "111111111111"),
        ("CreateUser", "123456789012"),
        ("CreateUser", "222222222222"),
    ]
    assert [u["UserName"] for u in member.list_users()["Users"]] == ["in-member"]


def test_identity_center_is_strict_on_the_server_and_a_denied_instance_cannot_be_reached(server, iam):
    def client(service):
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=server,
            aws_access_key_id="testing",
            aws_secret_access_key="t",
        )

    center = Seed(client("sso-admin"), client("identitystore"))
    alice = center.user("alice")
    group = center.group("engineers", alice)
    center.ids.delete_user(IdentityStoreId=center.store_id, UserId=alice)
    post(server, "/_sandbox/faults", {"identity_center": {"deny": ["ListInstances"]}})

    with pytest.raises(center.sso.exceptions.AccessDeniedException):
        center.sso.list_instances()

    assert center.memberships(group) == []  # the server applies sandbox.identity_center's rules
    assert get(server, "/_sandbox/faults") == {"ListInstances:AccessDenied": 1}
