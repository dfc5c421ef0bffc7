"""Each policy in policies/ is exactly what its DAG calls, and provisioning-guarded.json is guarded.

Proven for each policy file, on a moto server with permission checks (``INITIAL_NO_AUTH_ACTION_COUNT``) and
snapshots on its S3, as an IAM user that holds only that file:

* **Sufficient and exact.** One run of the DAG that uses the file succeeds, and the IAM, Secrets Manager and S3
  actions that user called are exactly the file's allowed actions. ``offboarding.json``: offboarding a user
  that holds every kind of thing. ``reconciliation.json``: mode ``disable`` on a stale user (mode ``delete``
  triggers the offboarding DAG, which ``offboarding.json`` covers). ``provisioning.json`` and
  ``provisioning-guarded.json``: restoring, from a snapshot on S3, a user with a permissions boundary, tags, a
  group, a managed and an inline policy, and console access.
* **A denied call fails the run.** The same run with one action taken out of the file (one in the middle of the
  flow) fails, and its Slack failure alert names AccessDenied and the operation.
* **The guard** of ``provisioning-guarded.json`` and the Organization's files, read from the JSON:
  tests/e2e/test_policy_documents.py.

Not proven here:

* **Resources and conditions.** moto evaluates every IAM action against resource ``*`` and does not know IAM's
  condition keys (it denies a statement that has a Condition), so the files are loaded with every Resource
  widened to ``*`` and every Condition stripped. This proves the action lists, not the ARNs, and not that the
  guarded variant's conditions let a correctly configured run through and stop others: that rests on AWS's
  service authorization reference (``iam:PermissionsBoundary`` is a condition key of CreateUser,
  AttachUserPolicy and PutUserPolicy; ``iam:PolicyARN`` of AttachUserPolicy).
* **That denying any other action fails the run.** Every action in a file is shown to be called; only one per
  file is shown to fail the run, with its alert, when denied.
* **Permissions AWS checks besides the called action.** AWS also requires ``iam:TagUser`` for a CreateUser call
  that carries tags; moto does not check it, so such a CreateUser call counts here as a TagUser call too.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from sandbox.net import moto_server_process
from sandbox.seed import EVERYTHING, seed_user
from tests.fixtures.e2e import ROOT, RunResult, Sandbox, run_dag

POLICIES = ROOT / "policies"
PROVEN_SERVICES = ("iam", "secretsmanager", "s3")
BUCKET = "iam-lifecycle-snapshots"
ACCOUNT = "123456789012"
# The calls the server lets through before it checks permissions: creating the admin, its policy and its key.
SETUP_CALLS = 3
ANYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
NOW = datetime.datetime.now(datetime.UTC)


def load(policy_file: str) -> dict:
    return json.loads((POLICIES / policy_file).read_text())


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def allowed_actions(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def as_moto_sees_it(policy: dict, without: str | None = None) -> str:
    """The policy with every Resource widened to ``*`` and every Condition stripped (see above), less one action."""
    statements = []
    for statement in policy["Statement"]:
        actions = [a for a in as_list(statement["Action"]) if a != without]
        if actions:
            statements.append({"Effect": statement["Effect"], "Action": actions, "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def s3_action(call: str) -> str:
    """The S3 action that authorizes a REST call recorded as ``METHOD /bucket[/key]``."""
    method, path = call.split(" ", 1)
    on_object = "/" in path.strip("/")
    if method == "PUT" and on_object:
        return "s3:PutObject"
    if method in ("GET", "HEAD"):
        return "s3:GetObject" if on_object else "s3:ListBucket"
    return f"s3:{call}"  # not mapped: shows up as a difference


def actions_called(calls: list[dict], access_key_id: str) -> set[str]:
    called = set()
    for call in calls:
        if call["key"] != access_key_id or call["service"] not in PROVEN_SERVICES:
            continue
        if call["service"] == "s3":
            called.add(s3_action(call["action"]))
            continue
        called.add(f"{call['service']}:{call['action']}")
        if call["action"] == "CreateUser" and any(param.startswith("Tags.") for param in call["params"]):
            called.add("iam:TagUser")
    return called


class Account:
    """The permission-checked moto server's account: an admin who arranges, and users who each hold one policy."""

    def __init__(self, url: str) -> None:
        self.url = url
        bootstrap = self._client("iam", "bootstrap", "bootstrap")
        bootstrap.create_user(UserName="admin")
        bootstrap.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=ANYTHING)
        self.admin_key = bootstrap.create_access_key(UserName="admin")["AccessKey"]
        self.iam = self.admin("iam")
        self.s3 = self.admin("s3")
        self.s3.create_bucket(Bucket=BUCKET)

    def _client(self, service: str, key: str, secret: str):
        return boto3.client(
            service, region_name="us-east-1", endpoint_url=self.url, aws_access_key_id=key, aws_secret_access_key=secret
        )

    def admin(self, service: str):
        return self._client(service, self.admin_key["AccessKeyId"], self.admin_key["SecretAccessKey"])

    def holder_of(self, user_name: str, document: str) -> dict:
        """A new user whose only permissions are ``document`` (a managed policy); its access key."""
        policy_arn = self.iam.create_policy(PolicyName=user_name, PolicyDocument=document)["Policy"]["Arn"]
        self.iam.create_user(UserName=user_name)
        self.iam.attach_user_policy(UserName=user_name, PolicyArn=policy_arn)
        return self.iam.create_access_key(UserName=user_name)["AccessKey"]


@dataclass
class Checked:
    account: Account
    box: Sandbox

    def run_as(self, access_key: dict, flow: Callable[[Checked, str], RunResult], user_name: str) -> RunResult:
        """Run ``flow`` on ``user_name`` with the DAGs' connection using ``access_key``; calls and alerts fresh."""
        self.box.use_credentials(access_key["AccessKeyId"], access_key["SecretAccessKey"])
        # dag.test runs every task in this process, where Airflow keeps one S3 filesystem per connection id,
        # made with the credentials of its first use: drop it, or S3 calls are made as an earlier identity.
        from airflow.sdk.io.store import _STORE_CACHE

        _STORE_CACHE.clear()
        self.box.clear_calls()
        self.box.clear_messages()
        return flow(self, user_name)


@pytest.fixture(scope="module")
def checked(slack_stub, airflow_db):
    with (
        moto_server_process(dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_CALLS))) as url,
        pytest.MonkeyPatch.context() as monkeypatch,
    ):
        account = Account(url)
        monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"s3://{BUCKET}/store")
        monkeypatch.delenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", raising=False)
        monkeypatch.setenv(
            "AIRFLOW_CONN_SLACK_DEFAULT",
            json.dumps({"conn_type": "slackwebhook", "host": slack_stub.url, "password": "T0/B0/least-privilege"}),
        )
        yield Checked(account, Sandbox(url, slack_stub, monkeypatch))


def offboard(checked: Checked, user_name: str) -> RunResult:
    seed_user(checked.account.iam, user_name, EVERYTHING)
    return run_dag("iam_user_offboarding", {"user_name": user_name})


def disable_stale(checked: Checked, user_name: str) -> RunResult:
    seed_user(checked.account.iam, user_name, EVERYTHING)
    checked.box.set_user_dates(
        user_name,
        create_date=NOW - datetime.timedelta(days=400),
        password_last_used=None,
        access_key_last_used=[NOW - datetime.timedelta(days=300), None],
    )
    return run_dag("iam_stale_user_reconciliation", {"mode": "disable", "max_users": 50, "max_idle_days": 90})


def restore(checked: Checked, user_name: str) -> RunResult:
    iam = checked.account.iam
    boundary = iam.create_policy(PolicyName=f"{user_name}-boundary", PolicyDocument=ANYTHING)["Policy"]["Arn"]
    granted = iam.create_policy(PolicyName=f"{user_name}-granted", PolicyDocument=ANYTHING)["Policy"]["Arn"]
    iam.create_group(GroupName=f"{user_name}-group")
    snapshot = {
        "version": 1,
        "taken_at": NOW.isoformat(),
        "run_id": "manual__earlier",
        "caller_arn": f"arn:aws:iam::{ACCOUNT}:user/admin",
        "reason": "JIRA-1",
        "user": {
            "UserName": user_name,
            "UserId": "AIDAEXAMPLEUSERID0001",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/staff/{user_name}",
            "Path": "/staff/",
            "CreateDate": (NOW - datetime.timedelta(days=30)).isoformat(),
            "Tags": {"team": "web"},
            "PermissionsBoundary": boundary,
        },
        "groups": [f"{user_name}-group"],
        "managed_policies": [granted],
        "inline_policies": {"extra": json.loads(ANYTHING)},
        "login_profile": True,
        "access_keys": [],
        "mfa_devices": [],
        "ssh_public_keys": [],
        "signing_certificates": [],
        "service_specific_credentials": [],
    }
    key = f"store/{ACCOUNT}/{user_name}/{NOW:%Y%m%dT%H%M%S.%fZ}.json"
    checked.account.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(snapshot).encode())
    return run_dag("iam_user_provisioning", {"snapshot": f"s3://{BUCKET}/{key}", "console_access": True})


@dataclass(frozen=True)
class Case:
    flow: Callable[[Checked, str], RunResult]
    denied: str  # the action taken out for the run that must fail: one in the middle of the flow


CASES = {
    "offboarding.json": Case(offboard, denied="iam:DeleteAccessKey"),
    "reconciliation.json": Case(disable_stale, denied="iam:DeleteLoginProfile"),
    "provisioning.json": Case(restore, denied="iam:PutUserPolicy"),
    "provisioning-guarded.json": Case(restore, denied="iam:AttachUserPolicy"),
}


#: Files of an AWS Organization's setup, checked by the tests at the end of this module rather than by a DAG run
#: (identity-center*.json: by tests/unit/test_identity_center_policy.py).
ORGANIZATION_FILES = ("member-role.json", "member-role-trust.json", "organization.json")
ORGANIZATION_FILES += ("identity-center.json", "identity-center-restore.json")


def test_every_policy_file_is_proven_here():
    assert sorted(path.name for path in POLICIES.glob("*.json")) == sorted([*CASES, *ORGANIZATION_FILES])


@pytest.mark.e2e
@pytest.mark.parametrize("policy_file", CASES)
def test_the_policy_is_enough_for_its_dag_and_every_action_in_it_is_called(checked, policy_file):
    policy = load(policy_file)
    name = policy_file.removesuffix(".json")
    key = checked.account.holder_of(f"holds-{name}", as_moto_sees_it(policy))

    result = checked.run_as(key, CASES[policy_file].flow, f"enough-{name}")

    assert result.state == "success", {task: state for task, state in result.task_states.items() if state != "success"}
    called, allowed = actions_called(checked.box.calls(), key["AccessKeyId"]), allowed_actions(policy)
    assert called == allowed, {
        "called, not allowed": sorted(called - allowed),
        "allowed, not called": sorted(allowed - called),
    }


@pytest.mark.e2e
@pytest.mark.parametrize("policy_file", CASES)
def test_without_one_of_its_actions_the_run_fails_and_the_alert_names_the_denial(checked, policy_file):
    policy, denied = load(policy_file), CASES[policy_file].denied
    assert denied in allowed_actions(policy)
    name = policy_file.removesuffix(".json")
    key = checked.account.holder_of(f"lacks-{name}", as_moto_sees_it(policy, without=denied))

    result = checked.run_as(key, CASES[policy_file].flow, f"denied-{name}")

    assert result.state == "failed", f"succeeded without {denied}"
    operation = denied.split(":")[1]
    messages = checked.box.messages
    assert any("AccessDenied" in m and f"calling the {operation} operation" in m for m in messages), messages
