"""Acting in a member account of an AWS Organization: the role assumed through the provider's session machinery,
named after the run, with the connection's external id, and checked against the account it must reach."""

from __future__ import annotations

import re

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException
from botocore.handlers import BUILTIN_HANDLERS
from moto.iam.models import iam_backends

from iam_lifecycle import protection
from iam_lifecycle.aws import sessions
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.aws.service_hooks import SecretsManagerHook, StsHook
from iam_lifecycle.aws.sessions import account_hook, role_session_name_for
from iam_lifecycle.messages import alerts
from iam_lifecycle.operators.users import GetCallerIdentityOperator, GetUserOperator
from sandbox.seed import NOTHING, seed_user
from tests.helpers import project_dagbag, set_connection
from tests.organization_accounts import add_member_account

MANAGEMENT, MEMBER = "123456789012", "111111111111"
RUN_ID = "manual__2026-11-28T12:00:00.123456+00:00"
ORG = {"aws_conn_id": "aws_org", "account_id": MEMBER, "member_role_name": "IamLifecycleRole"}


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """As in a fresh task process: no connection's identity nor account's membership known yet."""
    monkeypatch.setattr(protection, "_CONNECTION_IDENTITIES", {})
    monkeypatch.setattr(sessions, "_SOURCE_IDENTITIES", {})
    monkeypatch.setattr(sessions, "_ACTIVE_MEMBERS", {})


@pytest.fixture
def orgs(aws):
    """An organization whose management account is moto's default one, and its ACTIVE member account MEMBER."""
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    add_member_account(client, MEMBER, "dev")
    return client


@pytest.fixture
def org(orgs, monkeypatch):
    """The connection ``aws_org`` (the management account's credentials), with an external id in its extra."""
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1", "external_id": "ext-1234"})


@pytest.fixture
def assume_role_calls():
    """The parameters of every STS AssumeRole call made during the test."""
    calls: list[dict] = []

    def record(params, **kwargs):
        calls.append(dict(params["body"]))

    handler = ("before-call.sts.AssumeRole", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


def users_in(account: str) -> list[str]:
    return sorted(iam_backends[account]["aws"].users)


def test_a_member_hook_assumes_the_role_named_after_the_run_with_the_connections_external_id(org, assume_role_calls):
    hook = account_hook(IamHook, ORG, RUN_ID)

    hook.conn.create_user(UserName="made-in-member")

    assert [(c["RoleArn"], c["RoleSessionName"], c["ExternalId"]) for c in assume_role_calls] == [
        (f"arn:aws:iam::{MEMBER}:role/IamLifecycleRole", "manual__2026-11-28T12-00-00.123456+00-00", "ext-1234")
    ]
    assert users_in(MEMBER) == ["made-in-member"] and users_in(MANAGEMENT) == []
    # The provider's own session machinery: the wrapper says which role, BaseSessionFactory assumes it.
    assert hook.conn_config.role_arn == f"arn:aws:iam::{MEMBER}:role/IamLifecycleRole"
    assert hook.conn_config.assume_role_method == "assume_role"
    assert hook.get_session().get_credentials().method == "sts-assume-role"


def test_sts_tells_the_member_role_and_another_role_name_is_used_when_given(org, assume_role_calls):
    arn = account_hook(StsHook, ORG | {"member_role_name": "Auditor"}, RUN_ID).get_caller_arn()

    assert arn == f"arn:aws:sts::{MEMBER}:assumed-role/Auditor/manual__2026-11-28T12-00-00.123456+00-00"
    assert assume_role_calls[0]["RoleArn"] == f"arn:aws:iam::{MEMBER}:role/Auditor"


@pytest.mark.parametrize("account_id", [None, ""])
def test_without_an_account_id_the_hook_is_the_connections_own(org, assume_role_calls, account_id):
    hook = account_hook(IamHook, {"aws_conn_id": "aws_org", "account_id": account_id}, RUN_ID)

    hook.conn.create_user(UserName="made-in-management")

    assert assume_role_calls == [] and hook.conn_config.role_arn is None
    assert users_in(MANAGEMENT) == ["made-in-management"]


def test_no_external_id_is_sent_when_the_connection_has_none(orgs, assume_role_calls):
    account_hook(StsHook, ORG | {"aws_conn_id": "aws_default"}, RUN_ID).get_caller_arn()

    assert "ExternalId" not in assume_role_calls[0]


@pytest.mark.parametrize(
    "run_id",
    [
        "scheduled__2026-11-28T00:00:00+00:00",
        "manual__" + "x" * 100,
        "déjà vu/run id with spaces",
        "a",
    ],
)
def test_role_session_names_are_what_sts_accepts(run_id):
    name = role_session_name_for(run_id)

    assert re.fullmatch(r"[\w+=,.@-]{2,64}", name, re.ASCII), name
    assert name.startswith(re.sub(r"[^\w+=,.@-]", "-", run_id, flags=re.ASCII)[:64])


def test_a_member_role_that_acts_in_another_account_fails_like_the_account_id_check(org):
    """STS is the judge: if the assumed identity is not in the member account, nothing more is called."""

    def other_account(parsed, **kwargs):
        parsed["Account"] = "999999999999"

    handler = ("after-call.sts.GetCallerIdentity", other_account)
    BUILTIN_HANDLERS.append(handler)
    try:
        with pytest.raises(AirflowFailException) as raised:
            account_hook(StsHook, ORG, RUN_ID).get_caller_arn()
    finally:
        BUILTIN_HANDLERS.remove(handler)

    assert str(raised.value) == (
        f"role arn:aws:iam::{MEMBER}:role/IamLifecycleRole assumed with AWS connection aws_org acts in account "
        f"999999999999, not {MEMBER}; nothing was changed."
    )
    assert raised.value.account == "999999999999"


def test_a_connection_that_itself_assumes_a_role_is_refused_before_any_call(aws, monkeypatch, assume_role_calls):
    extra = {"region_name": "us-east-1", "role_arn": f"arn:aws:iam::{MANAGEMENT}:role/OrgReader"}
    set_connection(monkeypatch, "aws_chained", "aws", extra=extra)

    with pytest.raises(AirflowFailException, match=r"^AWS connection aws_chained itself assumes .*role/OrgReader"):
        account_hook(IamHook, ORG | {"aws_conn_id": "aws_chained"}, RUN_ID).conn  # noqa: B018

    assert assume_role_calls == []


@pytest.mark.parametrize(
    ("place", "reason"),
    [
        (ORG | {"account_id": "1111"}, "account_id must be 12 digits, not '1111'"),
        (ORG | {"member_role_name": "path/Role"}, "'path/Role' is not an IAM role name"),
    ],
)
def test_an_account_id_or_role_name_aws_could_never_accept_is_refused(org, place, reason):
    with pytest.raises(AirflowFailException, match=f"^{re.escape(reason)}; nothing was changed.$"):
        account_hook(IamHook, place, RUN_ID).conn  # noqa: B018


def test_every_member_capable_hook_takes_the_account(org):
    for hook_class in (IamHook, StsHook, SecretsManagerHook):
        assert account_hook(hook_class, ORG, RUN_ID).conn_config.role_arn.endswith(f"{MEMBER}:role/IamLifecycleRole")


# ---- operators and the tasks that build hooks themselves ----------------------------------------------------------


def test_operators_hand_the_member_account_to_their_hook(org, assume_role_calls):
    seed_user(boto3.client("iam", region_name="us-east-1"), "alice", NOTHING)  # in the management account only
    kwargs = {"aws_conn_id": "aws_org", "account_id": MEMBER, "role_session_name": RUN_ID}
    member_iam = account_hook(IamHook, ORG, RUN_ID).conn
    member_iam.create_user(UserName="alice", Path="/member/")

    arn = GetCallerIdentityOperator(task_id="t", **kwargs).execute(context={})
    user = GetUserOperator(task_id="u", user_name="alice", **kwargs).execute(context={})

    assert arn.startswith(f"arn:aws:sts::{MEMBER}:assumed-role/IamLifecycleRole/")
    assert user["Arn"] == f"arn:aws:iam::{MEMBER}:user/member/alice"


def test_every_aws_task_of_the_offboarding_dag_renders_the_runs_account():
    """default_args hand each operator the run's account_id and member_role_name; null renders as empty."""
    # Parsed afresh: a dag.test run in the same worker renders the shared DagBag's tasks in place.
    dag = project_dagbag.__wrapped__().dags["iam_user_offboarding"]
    aws_tasks = [t for t in dag.tasks if "account_id" in getattr(t, "template_fields", ())]
    assert {t.task_id for t in aws_tasks} >= {"get_caller_identity", "check_user", "delete_user", "detach_user_policy"}
    for task_ in aws_tasks:
        # A mapped task gets the DAG's default_args when it is unmapped at run time.
        arguments = dag.default_args if hasattr(task_, "partial_kwargs") else vars(task_)
        for params, expected in [
            ({"account_id": MEMBER, "member_role_name": "Auditor"}, (MEMBER, "Auditor")),
            ({"account_id": None, "member_role_name": None}, ("", "")),
        ]:
            rendered = tuple(
                task_.render_template(arguments[name], {"params": params})
                for name in ("account_id", "member_role_name")
            )
            assert rendered == expected, task_.task_id


def test_the_failure_alert_reads_what_the_user_still_holds_in_the_runs_member_account(org, monkeypatch):
    account_hook(IamHook, ORG, RUN_ID).conn.create_user(UserName="alice")
    account_hook(IamHook, ORG, RUN_ID).conn.create_access_key(UserName="alice")
    posted: list[str] = []
    monkeypatch.setattr(alerts, "post_text", lambda context, text: posted.append(text))

    class DeleteUserTask:
        def get_flat_relative_ids(self, upstream: bool) -> set[str]:
            return {"take_snapshot"}

    class Ti:
        dag_id, task_id, map_index = "iam_user_offboarding", "delete_user", -1

    context = {
        "ti": Ti(),
        "task": DeleteUserTask(),
        "run_id": RUN_ID,
        "params": {"user_name": "alice", **ORG},
        "exception": RuntimeError("boom"),
    }
    alerts.alert_offboarding_failure(context)

    [text] = posted
    assert "alice still holds: console password: none; active access keys: 1; 1 access key." in text


def test_the_organization_connections_own_user_is_protected_when_a_run_acts_in_its_account(org, monkeypatch):
    """The run acts as the member role, so "never our own identity" alone would not match the connection's user."""
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="moto")  # the identity the organization connection's credentials act as (STS: user/moto)
    kwargs = {"aws_conn_id": "aws_org", "account_id": MANAGEMENT, "role_session_name": RUN_ID}
    caller_arn = GetCallerIdentityOperator(task_id="t", **kwargs).execute(context={})

    with pytest.raises(AirflowFailException) as raised:
        GetUserOperator(task_id="u", user_name="moto", caller_arn=caller_arn, **kwargs).execute(context={})

    assert str(raised.value) == (
        f"IAM user moto is protected: it is the identity behind AWS connection aws_org "
        f"(arn:aws:sts::{MANAGEMENT}:user/moto); nothing was changed."
    )
    assert users_in(MANAGEMENT) == ["moto"]
