"""sandbox.strict_moto holds moto to AWS's rules: a test of our code against it means what it would on AWS."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.iam.models import iam_backends

from sandbox import strict_moto
from sandbox.seed import EVERYTHING, NOTHING, seed_user

strict_moto.apply()


@pytest.fixture
def iam(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


@pytest.mark.parametrize("kind", [kind for kind in EVERYTHING if kind != "login_profile"] + ["login_profile"])
def test_delete_user_is_refused_while_anything_is_held(iam, kind):
    seed_user(iam, "alice", NOTHING | {kind: True if kind == "login_profile" else 1})
    with pytest.raises(ClientError, match="DeleteConflict"):
        iam.delete_user(UserName="alice")


def test_list_users_is_paged_like_aws(iam):
    for n in range(105):
        iam_backends["123456789012"]["aws"].create_user("us-east-1", f"user-{n:03}")

    first = iam.list_users()
    rest = iam.list_users(Marker=first["Marker"])

    assert (len(first["Users"]), first["IsTruncated"]) == (100, True)
    assert (len(rest["Users"]), rest["IsTruncated"]) == (5, False)
    assert len(iam.list_users(MaxItems=1000)["Users"]) == 105


def test_service_specific_credentials_exist_and_page(iam):
    seed_user(iam, "alice", NOTHING | {"service_specific_credentials": 2})

    first = iam.list_service_specific_credentials(UserName="alice", MaxItems=1)

    assert first["IsTruncated"] and len(first["ServiceSpecificCredentials"]) == 1
    assert "ServicePassword" not in first["ServiceSpecificCredentials"][0]
