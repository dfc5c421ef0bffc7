"""Only an ACTIVE member account of the connection's organization is entered (issue 19 row 8): a role that can be
assumed is not enough. One Organizations DescribeAccount per connection and account, with the connection's own
credentials, before the member role is assumed; the connection's own account needs none."""

from __future__ import annotations

import re

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from iam_lifecycle import protection
from iam_lifecycle.aws import sessions
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import SecretsManagerHook, StsHook
from iam_lifecycle.aws.sessions import account_hook
from iam_lifecycle.operators.users import GetCallerIdentityOperator, GetUserOperator
from sandbox.seed import NOTHING, seed_user
from tests.helpers import holdings, set_connection
from tests.organization_accounts import add_member_account
from tests.unit.test_member_accounts import MANAGEMENT, MEMBER, ORG, RUN_ID, users_in


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As in a fresh task process: no connection's identity nor account's membership known yet."""
    monkeypatch.setattr(protection, "_CONNECTION_IDENTITIES", {})
    monkeypatch.setattr(sessions, "_SOURCE_IDENTITIES", {})
    monkeypatch.setattr(sessions, "_ACTIVE_MEMBERS", {})


@pytest.fixture
def org(aws, monkeypatch):
    """An organization (management account: moto's default), its ACTIVE member MEMBER, and the connection aws_org."""
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    add_member_account(orgs, MEMBER, "dev")
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})


@pytest.fixture
def assume_role_calls():
    """The RoleArn of every STS AssumeRole call made during the test."""
    calls: list[str] = []

    def record(params, **kwargs):
        calls.append(params["body"]["RoleArn"])

    handler = ("before-call.sts.AssumeRole", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


SUSPENDED, OUTSIDE = "222222222222", "999999999999"


@pytest.fixture
def organizations_calls():
    """Every Organizations API call made during the test, as operation names."""
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    handler = ("before-call.organizations", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


def iam_in(account: str):
    """A plain IAM client acting in ``account`` (moto trusts any AssumeRole), to arrange and check what is there."""
    sts = boto3.client("sts", region_name="us-east-1")
    role = f"arn:aws:iam::{account}:role/Setup"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="setup")["Credentials"]
    return boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def organizations_answers(code: str):
    """A botocore handler that answers DescribeAccount with the error ``code``, as AWS does."""

    def answer(params, **kwargs):
        error = {"Code": code, "Message": f"{code} (injected)"}
        return AWSResponse("https://organizations.us-east-1.amazonaws.com/", 400, {}, None), {"Error": error}

    return answer


@pytest.mark.parametrize(
    ("case", "account", "reason"),
    [
        ("suspended", SUSPENDED, f"account {SUSPENDED} is SUSPENDED in the organization of AWS connection aws_org, not "
         "ACTIVE"),
        ("outside", OUTSIDE, f"account {OUTSIDE} is not a member of the organization of AWS connection aws_org"),
        # AWS's answer to a caller in no organization (moto answers AccountNotFoundException).
        ("AWSOrganizationsNotInUseException", MEMBER, f"AWS connection aws_org acts in account {MANAGEMENT}, which is "
         f"in no AWS Organization, so it cannot act in account {MEMBER} as a member account"),
        ("AccessDeniedException", MEMBER, f"AWS connection aws_org could not tell whether account {MEMBER} is an "
         "ACTIVE member of its organization (organizations:DescribeAccount: AccessDeniedException)"),
    ],
)  # fmt: skip
def test_an_account_that_is_not_an_active_member_is_refused_before_any_call_in_it(
    aws, monkeypatch, iam_calls, assume_role_calls, case, account, reason
):
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    add_member_account(orgs, MEMBER, "dev")
    add_member_account(orgs, SUSPENDED, "retired", suspended=True)
    iam = iam_in(account)
    seed_user(iam, "alice", NOTHING)
    iam.create_access_key(UserName="alice")
    before = holdings(iam, "alice")
    iam_calls.clear(), assume_role_calls.clear()
    place = ORG | {"account_id": account}
    kwargs = {"aws_conn_id": "aws_org", "account_id": account, "role_session_name": RUN_ID}
    attempts = [
        lambda: GetCallerIdentityOperator(task_id="t", **kwargs).execute(context={}),
        lambda: GetUserOperator(task_id="u", user_name="alice", **kwargs).execute(context={}),
        lambda: account_hook(IamHook, place, RUN_ID).delete_login_profile("alice"),
        lambda: account_hook(SecretsManagerHook, place, RUN_ID).conn.list_secrets(),
    ]
    handler = ("before-call.organizations.DescribeAccount", organizations_answers(case))
    if case.endswith("Exception"):
        BUILTIN_HANDLERS.append(handler)
    try:
        for attempt in attempts:
            with pytest.raises(AirflowFailException) as raised:
                attempt()
            assert re.fullmatch(re.escape(f"{reason}; nothing was changed."), str(raised.value)), str(raised.value)
    finally:
        if handler in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.remove(handler)

    assert iam_calls == [] and assume_role_calls == []  # the member role was never even assumed
    assert holdings(iam, "alice") == before


def test_an_active_member_account_is_checked_once_per_connection_and_account_then_entered(org, organizations_calls):
    account_hook(StsHook, ORG, RUN_ID).get_caller_arn()
    account_hook(IamHook, ORG, RUN_ID).conn.create_user(UserName="made-in-member")
    account_hook(SecretsManagerHook, ORG, RUN_ID).conn.list_secrets()

    assert organizations_calls == ["DescribeAccount"]
    assert users_in(MEMBER) == ["made-in-member"]


def test_the_connections_own_account_needs_no_describe_account(aws, monkeypatch, organizations_calls):
    """The connection acting in its own account through the member role: no organization needs to exist."""
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})

    account_hook(IamHook, ORG | {"account_id": MANAGEMENT}, RUN_ID).conn.create_user(UserName="made-in-management")

    assert organizations_calls == []
    assert users_in(MANAGEMENT) == ["made-in-management"]
