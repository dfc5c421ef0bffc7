"""policies/iam-lifecycle-policy.json is exactly what the DAGs need.

A moto server with permission checks on: the DAGs run as a user holding only the policy's actions. Sufficient:
offboarding, provisioning (restore with console access) and reconciliation (disable mode) all succeed, and the
actions they call are exactly the policy's. Necessary: without any one action, the run that uses it fails with
AccessDenied. moto evaluates every IAM action against resource ``*``, so the policy's resource ARNs are
replaced by ``*`` here: this proves the action list, not the resource scoping. The optional S3 snapshot-store
statement is not exercised (snapshots go to a local folder).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass

import boto3
import pytest

from sandbox.net import moto_server_process
from sandbox.seed import EVERYTHING, NOTHING, seed_user
from tests.fixtures.e2e import ROOT, Sandbox, run_dag

pytestmark = pytest.mark.e2e

POLICY = json.loads((ROOT / "policies" / "iam-lifecycle-policy.json").read_text())
PROVEN_SERVICES = ("iam", "secretsmanager")
# The calls the sandbox lets through before it checks permissions: the admin and the lifecycle user.
SETUP_CALLS = 7
NOW = datetime.datetime.now(datetime.UTC)


def policy_actions() -> list[str]:
    actions = []
    for statement in POLICY["Statement"]:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        actions += [a for a in listed if a.split(":")[0] in PROVEN_SERVICES]
    return sorted(actions)


def policy_document(without: str | None = None) -> str:
    """The policy with resources widened to ``*`` (see the module docstring), less one action."""
    statements = []
    for statement in POLICY["Statement"]:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in listed if a != without and a.split(":")[0] in PROVEN_SERVICES]
        if kept:
            statements.append({"Effect": "Allow", "Action": kept, "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class Account:
    """The permission-checked moto server: an admin for arranging, and the lifecycle user the DAGs run as."""

    def __init__(self, url: str) -> None:
        self.url = url
        bootstrap = self._client("iam", "bootstrap", "bootstrap")
        bootstrap.create_user(UserName="admin")
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        bootstrap.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(everything))
        admin_key = bootstrap.create_access_key(UserName="admin")["AccessKey"]
        bootstrap.create_user(UserName="iam-lifecycle")
        self.policy_arn = bootstrap.create_policy(PolicyName="iam-lifecycle", PolicyDocument=policy_document())[
            "Policy"
        ]["Arn"]
        bootstrap.attach_user_policy(UserName="iam-lifecycle", PolicyArn=self.policy_arn)
        self.lifecycle_key = bootstrap.create_access_key(UserName="iam-lifecycle")["AccessKey"]
        self.admin_key = admin_key
        self.iam = self.admin("iam")

    def _client(self, service: str, key: str, secret: str):
        return boto3.client(
            service, region_name="us-east-1", endpoint_url=self.url, aws_access_key_id=key, aws_secret_access_key=secret
        )

    def admin(self, service: str):
        return self._client(service, self.admin_key["AccessKeyId"], self.admin_key["SecretAccessKey"])

    def lifecycle_actions(self, calls: list[dict]) -> set[str]:
        return {
            f"{c['service']}:{c['action']}"
            for c in calls
            if c["key"] == self.lifecycle_key["AccessKeyId"] and c["service"] in PROVEN_SERVICES
        }

    def grant(self, document: str) -> None:
        """Replace the lifecycle user's policy (a new default version; older ones are pruned)."""
        versions = self.iam.list_policy_versions(PolicyArn=self.policy_arn)["Versions"]
        for version in versions:
            if not version["IsDefaultVersion"]:
                self.iam.delete_policy_version(PolicyArn=self.policy_arn, VersionId=version["VersionId"])
        self.iam.create_policy_version(PolicyArn=self.policy_arn, PolicyDocument=document, SetAsDefault=True)


@pytest.fixture(scope="module")
def checked_server():
    with moto_server_process(dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_CALLS))) as url:
        yield Account(url)


def seed_stale_user(account: Account, box: Sandbox, name: str) -> None:
    seed_user(account.iam, name, NOTHING | {"access_keys": 1, "login_profile": True})
    box.set_user_dates(
        name,
        create_date=NOW - datetime.timedelta(days=400),
        password_last_used=None,
        access_key_last_used=[NOW - datetime.timedelta(days=300)],
    )


def offboard(account: Account, box: Sandbox, name: str):
    seed_user(account.iam, name, EVERYTHING)
    return run_dag("iam_user_offboarding", {"user_name": name})


def onboard(account: Account, box: Sandbox, name: str):
    account.iam.create_group(GroupName=f"{name}-group")
    policy = account.iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=policy_document())["Policy"]
    return run_dag(
        "iam_user_provisioning",
        {
            "user_name": name,
            "tags": {"team": "web"},
            "groups": [f"{name}-group"],
            "managed_policy_arns": [policy["Arn"]],
            "inline_policies": {"extra": json.loads(policy_document())},
            "console_access": True,
        },
    )


def disable_stale(account: Account, box: Sandbox, name: str):
    seed_stale_user(account, box, name)
    return run_dag("iam_stale_user_reconciliation", {"mode": "disable", "max_users": 50, "max_idle_days": 90})


FLOWS = {"offboarding": offboard, "provisioning": onboard, "reconciliation": disable_stale}


@dataclass
class Proof:
    server: Account
    box: Sandbox
    results: dict  # flow -> RunResult of the run with the whole policy
    called: set[str]  # every action the lifecycle user called in those runs
    used_by: dict[str, str]  # action -> the flow that first called it


@pytest.fixture(scope="module")
def proof(checked_server, slack_stub, airflow_db, tmp_path_factory):
    """Run every flow with the whole policy, recording who called what; then leave the env set for the module."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        box = Sandbox(checked_server.url, slack_stub, monkeypatch)
        key = checked_server.lifecycle_key
        box.use_credentials(key["AccessKeyId"], key["SecretAccessKey"])
        monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path_factory.mktemp('snap')}")
        monkeypatch.delenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", raising=False)
        monkeypatch.setenv(
            "AIRFLOW_CONN_SLACK_DEFAULT",
            json.dumps({"conn_type": "slackwebhook", "host": slack_stub.url, "password": "T0/B0/least-privilege"}),
        )
        results, called, used_by = {}, set(), {}
        for flow, run in FLOWS.items():
            box.clear_calls()
            results[flow] = run(checked_server, box, f"sufficient-{flow}")
            used = checked_server.lifecycle_actions(box.calls())
            used_by.update({action: flow for action in used - called})
            called |= used
        yield Proof(checked_server, box, results, called, used_by)


def test_the_policy_is_sufficient_and_every_action_in_it_is_called(proof):
    for flow, result in proof.results.items():
        assert result.state == "success", (flow, {t: s for t, s in result.task_states.items() if s != "success"})
    assert sorted(proof.called) == policy_actions()


@pytest.mark.parametrize("action", policy_actions())
def test_every_action_is_necessary(proof, action):
    assert action in proof.used_by, f"no flow called {action}"
    proof.server.grant(policy_document(without=action))
    proof.box.clear_messages()
    try:
        result = FLOWS[proof.used_by[action]](proof.server, proof.box, f"without-{action.split(':')[1].lower()}")
    finally:
        proof.server.grant(policy_document())

    assert result.state == "failed", f"{proof.used_by[action]} succeeded without {action}"
    operation = action.split(":")[1]
    messages = proof.box.messages
    assert any("AccessDenied" in m and f"calling the {operation} operation" in m for m in messages), messages
