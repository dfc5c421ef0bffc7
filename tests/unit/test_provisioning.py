"""Provisioning's decisions at unit level: the pre-check, the marker tags and whether an existing user is ours."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.operators import provisioning as ops
from iam_lifecycle.operators.users import TagUserOperator
from iam_lifecycle.provisioning.spec import (
    CREATED_BY_RUN_TAG,
    MARKER_TAGS,
    RESTORED_FROM_TAG,
    existing_user_reason,
    missing_references_reason,
    resolve_spec,
)

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
#: IAM's rule for tag values: letters, digits, spaces and _.:/=+-@, at most 256 characters.
IAM_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
RUN_ID = "manual__2026-11-28T12:00:00.123456+00:00"
MUTATING = re.compile(r"^(?!Get|List)")


def write_snapshot_file(tmp_path, **user) -> str:
    snapshot = {
        "version": 1,
        "taken_at": "2026-11-28T12:00:00.123456+00:00",
        "user": {
            "UserName": "alice",
            "UserId": "AIDAEXAMPLEALICE0001",
            "Arn": "arn:aws:iam::123456789012:user/alice",
            "Path": "/",
            "CreateDate": "2025-01-01T00:00:00+00:00",
            "Tags": {},
            "PermissionsBoundary": None,
        }
        | user,
        "groups": [],
        "managed_policies": [],
        "inline_policies": {},
    }
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    return f"file://{path}"


def spec_for(user_name: str = "alice", **spec) -> dict:
    defaults = {"action": "restored", "groups": [], "managed_policy_arns": [], "permissions_boundary": None}
    return {"user_name": user_name} | defaults | spec


def as_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def create_policy(iam, name: str) -> str:
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]


# ---- markers -------------------------------------------------------------------------------------------------


def test_a_restore_is_marked_with_the_run_and_the_snapshots_original_user_id_and_time(tmp_path):
    spec = resolve_spec({"snapshot": write_snapshot_file(tmp_path)}, run_id=RUN_ID)

    assert spec["markers"] == {
        CREATED_BY_RUN_TAG: RUN_ID,
        RESTORED_FROM_TAG: "AIDAEXAMPLEALICE0001 2026-11-28T12:00:00.123456+00:00",
    }
    assert set(spec["markers"]) == set(MARKER_TAGS)


def test_an_onboarding_is_marked_with_the_run_only():
    spec = resolve_spec({"user_name": "new.hire"}, run_id=RUN_ID)

    assert spec["markers"] == {CREATED_BY_RUN_TAG: RUN_ID}


@pytest.mark.parametrize("run_id", [RUN_ID, "api~run~1", "scheduled__2026-01-01T00:00:00+00:00", "x" * 300])
def test_markers_are_valid_iam_tag_values_whatever_the_run_id(tmp_path, run_id):
    markers = resolve_spec({"snapshot": write_snapshot_file(tmp_path)}, run_id=run_id)["markers"]

    assert all(IAM_TAG_VALUE.match(value) for value in markers.values()), markers


# ---- the pre-check -------------------------------------------------------------------------------------------


def test_the_pre_check_names_every_missing_group_policy_and_the_boundary(iam, iam_calls):
    iam.create_group(GroupName="kept-group")
    kept = create_policy(iam, "kept-policy")
    gone = "arn:aws:iam::123456789012:policy/gone-policy"
    boundary = "arn:aws:iam::123456789012:policy/gone-boundary"
    spec = spec_for(
        groups=["kept-group", "gone-group"], managed_policy_arns=[kept, gone], permissions_boundary=boundary
    )
    iam_calls.clear()

    reason = missing_references_reason(spec, IamHook(aws_conn_id="aws_default"))

    assert reason == (
        "IAM user 'alice' cannot be restored, missing in IAM: group gone-group, managed policy "
        f"{gone}, permissions boundary {boundary}"
    )
    assert sorted(iam_calls) == ["GetGroup", "GetGroup", "GetPolicy", "GetPolicy", "GetPolicy"]


def test_the_pre_check_passes_when_everything_exists(iam):
    iam.create_group(GroupName="developers")
    policy, boundary = create_policy(iam, "read"), create_policy(iam, "boundary")
    spec = spec_for(
        action="created", groups=["developers"], managed_policy_arns=[policy], permissions_boundary=boundary
    )

    assert missing_references_reason(spec, IamHook(aws_conn_id="aws_default")) is None


def test_a_user_needing_nothing_makes_no_pre_check_call(aws, iam_calls):
    assert missing_references_reason(spec_for(), IamHook(aws_conn_id="aws_default")) is None
    assert iam_calls == []


# ---- is an existing user this run's own? ---------------------------------------------------------------------

RESTORE = {CREATED_BY_RUN_TAG: "run-2", RESTORED_FROM_TAG: "AIDA1 2026-11-28T12:00:00+00:00"}
ONBOARDING = {CREATED_BY_RUN_TAG: "run-2"}


@pytest.mark.parametrize(
    ("tags", "markers", "reason"),
    [
        ({CREATED_BY_RUN_TAG: "run-2"}, RESTORE, None),  # CreateUser's answer lost: the retry met our user
        ({CREATED_BY_RUN_TAG: "run-2"}, ONBOARDING, None),
        ({CREATED_BY_RUN_TAG: "run-1", RESTORED_FROM_TAG: "AIDA1 2026-11-28T12:00:00+00:00"}, RESTORE, None),
        ({}, RESTORE, "IAM user 'alice' already exists"),
        ({"team": "data"}, ONBOARDING, "IAM user 'alice' already exists"),
        ({CREATED_BY_RUN_TAG: "run-1"}, ONBOARDING, "IAM user 'alice' already exists"),
        (
            {CREATED_BY_RUN_TAG: "run-1", RESTORED_FROM_TAG: "AIDA1 2026-10-01T00:00:00+00:00"},
            RESTORE,
            "IAM user 'alice' already exists, from an unfinished restore of snapshot AIDA1 2026-10-01T00:00:00+00:00",
        ),
        (
            {CREATED_BY_RUN_TAG: "run-1", RESTORED_FROM_TAG: "AIDA1 2026-11-28T12:00:00+00:00"},
            ONBOARDING,
            "IAM user 'alice' already exists, from an unfinished restore of snapshot AIDA1 2026-11-28T12:00:00+00:00",
        ),
    ],
)
def test_an_existing_user_is_continued_only_when_it_carries_one_of_the_runs_markers(tags, markers, reason):
    assert existing_user_reason("alice", tags, markers) == reason


# ---- the operators -------------------------------------------------------------------------------------------


def create_user_operator(markers: dict[str, str]) -> ops.CreateUserOperator:
    return ops.CreateUserOperator(
        task_id="t", user_name="alice", path="/staff/", tags={"team": "data"}, markers=markers
    )


def test_create_user_adds_the_markers_to_the_users_tags(iam):
    result = create_user_operator(RESTORE).execute(context={})

    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
    assert tags == {"team": "data"} | RESTORE
    assert result["continued"] is False


def test_create_user_completes_an_unfinished_restore_of_the_same_snapshot_without_creating(iam, iam_calls):
    iam.create_user(UserName="alice", Tags=as_tags(RESTORE | {CREATED_BY_RUN_TAG: "run-1"}))
    iam_calls.clear()

    result = create_user_operator(RESTORE).execute(context={})

    assert result["continued"] is True and result["UserName"] == "alice"
    assert iam_calls == ["GetUser"]


def test_create_user_refuses_a_user_it_did_not_make_with_nothing_changed(iam, iam_calls):
    iam.create_user(UserName="alice")
    iam_calls.clear()

    with pytest.raises(Exception, match=r"^IAM user 'alice' already exists; nothing was changed\.$"):
        create_user_operator(RESTORE).execute(context={})
    assert [c for c in iam_calls if MUTATING.match(c)] == []


def test_someone_elses_user_created_between_the_check_and_create_user_is_refused(iam, iam_calls):
    """The race: GetUser finds nothing, another actor creates the user, CreateUser meets EntityAlreadyExists."""
    operator = create_user_operator(ONBOARDING)
    other_actor = boto3.client("iam", region_name="us-east-1")

    def create_first(**kwargs):
        other_actor.create_user(UserName="alice", Tags=as_tags({"owner": "someone-else"}))

    operator.hook.conn.meta.events.register_first("before-call.iam.CreateUser", create_first)

    with pytest.raises(Exception, match=r"^IAM user 'alice' already exists; nothing was changed\.$"):
        operator.execute(context={})
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
    assert tags == {"owner": "someone-else"}


def test_create_login_profile_leaves_an_existing_console_password_alone(iam, iam_calls):
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Existing-Passw0rd!")
    iam_calls.clear()

    result = ops.CreateLoginProfileOperator(task_id="t", user_name="alice", console_access=True).execute(context={})

    assert result == {"secret_arn": None, "left_as_it_was": True}
    assert iam_calls == ["GetLoginProfile"]
    assert boto3.client("secretsmanager", region_name="us-east-1").list_secrets()["SecretList"] == []


def test_remove_markers_leaves_the_specified_tags(iam):
    iam.create_user(UserName="alice", Tags=as_tags({"team": "data"} | ONBOARDING))

    TagUserOperator(task_id="t", user_name="alice", remove_keys=list(MARKER_TAGS)).execute(context={})

    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "team", "Value": "data"}]


# ---- inline policy documents, checked before CreateUser ------------------------------------------------------

BIG = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}] * 40}
BIG_SIZE = len(re.sub(r"\s", "", json.dumps(BIG)))  # IAM does not count whitespace
BAD_DOCUMENTS = [
    ('{"Version": "2012-10-17", "Statement": [', "'read' is not JSON"),
    ([POLICY], "'read' is not a JSON object"),
    ({"Statement": POLICY["Statement"]}, "'read' has no Version"),
    ({"Version": "2020-01-01", "Statement": POLICY["Statement"]}, "'read' has Version '2020-01-01'"),
    ({"Version": "2012-10-17"}, "'read' has no Statement"),
    ({"Version": "2012-10-17", "Statement": []}, "'read' has no Statement"),
    ({"Version": "2012-10-17", "Statement": ["s3:*"]}, "'read' has a statement that is not an object"),
    (
        BIG,
        f"inline policies of IAM user 'new.hire' are {BIG_SIZE} characters without whitespace, over IAM's 2048",
    ),
]


def provision(params: dict) -> None:
    """The provisioning DAG's tasks up to the grants, in its order, each as the run runs it; the first failure
    stops the run, as in Airflow."""
    from tests.helpers import project_dagbag

    dag = project_dagbag().dags["iam_user_provisioning"]
    spec = dag.get_task("resolve_spec").python_callable(params=params, run_id=RUN_ID)
    dag.get_task("check_references").python_callable(spec=spec, params={"aws_conn_id": "aws_default"}, run_id=RUN_ID)
    kwargs = {"task_id": "t", "user_name": spec["user_name"]}
    ops.CreateUserOperator(**kwargs, path=spec["path"], tags=spec["tags"], markers=spec["markers"]).execute({})
    ops.GrantUserOperator(
        **kwargs, group_names=spec["groups"], policy_arns=[], policy_documents=spec["inline_policies"]
    ).execute({})


@pytest.mark.parametrize(("document", "reason"), BAD_DOCUMENTS, ids=[r[:30] for _, r in BAD_DOCUMENTS])
def test_an_invalid_inline_policy_is_refused_before_create_user_naming_it(iam, iam_calls, document, reason):
    from airflow.sdk.exceptions import AirflowFailException
    from airflow.sdk.execution_time.context import set_current_context

    from tests.helpers import user_exists

    iam.create_group(GroupName="developers")
    params = {"user_name": "new.hire", "groups": ["developers"], "inline_policies": {"read": document}}
    iam_calls.clear()

    with set_current_context({}), pytest.raises(AirflowFailException) as raised:
        provision(params)

    assert reason in str(raised.value) and str(raised.value).endswith("; nothing was changed.")
    assert "\n" not in str(raised.value)
    assert not user_exists(iam, "new.hire")
    assert [c for c in iam_calls if MUTATING.match(c)] == []


def test_valid_inline_policies_as_objects_or_json_text_are_created(iam):
    from airflow.sdk.execution_time.context import set_current_context

    documents = {"read": POLICY, "text": json.dumps(POLICY, indent=4)}  # whitespace is not counted

    with set_current_context({}):
        provision({"user_name": "new.hire", "inline_policies": documents})

    assert sorted(iam.list_user_policies(UserName="new.hire")["PolicyNames"]) == ["read", "text"]
