"""Contain first: the offboarding's first change denies the user every action, until just before DeleteUser.

Whatever fails after it (a removal an SCP denies), the user left behind can do nothing with the credentials it has
or gets; a snapshot never records the deny policy and a restore never recreates it.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from iam_lifecycle.holdings import CONTAINMENT_POLICY
from sandbox.seed import NOTHING, seed_user
from tests.fixtures.e2e import run_dag
from tests.helpers import user_exists

pytestmark = pytest.mark.e2e

DENY_EVERYTHING = [{"Sid": "ContainedByIamLifecycle", "Effect": "Deny", "Action": "*", "Resource": "*"}]


def denies_everything(iam, user_name: str, policy_name: str = CONTAINMENT_POLICY) -> bool:
    """Whether ``user_name`` holds the inline policy ``policy_name`` denying every action on every resource."""
    if policy_name not in iam.list_user_policies(UserName=user_name)["PolicyNames"]:
        return False
    document = iam.get_user_policy(UserName=user_name, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return document["Statement"] == DENY_EVERYTHING


def test_a_removal_denied_mid_run_leaves_the_user_denied_everything_and_a_rerun_deletes_it(sandbox):
    iam = sandbox.iam
    seed_user(iam, "alice", NOTHING | {"inline_policies": 1, "access_keys": 1, "ssh_public_keys": 1})
    sandbox.set_faults({"fail": {"DeleteSSHPublicKey": ["AccessDenied", 99]}})  # as an SCP would
    sandbox.clear_calls()

    first = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert first.state == "failed" and first.task_states["remove_user_items[ssh_public_keys]"] == "failed"
    assert denies_everything(iam, "alice"), "the user left behind can act"
    changes = [call["action"] for call in sandbox.mutating_calls() if call["service"] == "iam"]
    assert changes[0] == "PutUserPolicy", f"the first change was {changes[0]}"
    assert changes.count("PutUserPolicy") == 1 and "DeleteUser" not in changes

    sandbox.set_faults({})
    second = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert second.state == "success", second.task_states
    assert not user_exists(iam, "alice")
    snapshot = json.loads(open(urlparse(second.xcom("take_snapshot")["uri"]).path).read())
    assert list(snapshot["inline_policies"]) == [], "the snapshot recorded the run's deny policy"
    assert CONTAINMENT_POLICY not in sandbox.messages[-1]


def test_the_dry_run_says_the_user_is_denied_everything_first_and_changes_nothing(sandbox):
    seed_user(sandbox.iam, "alice", NOTHING | {"access_keys": 1})
    sandbox.clear_calls()

    dry = run_dag("iam_user_offboarding", {"user_name": "alice", "dry_run": True})

    assert dry.state == "success", dry.task_states
    assert dry.task_states["contain_user"] == "skipped" and sandbox.mutating_calls() == []
    [message] = sandbox.messages
    assert f"inline policy {CONTAINMENT_POLICY}" in message and "denying IAM user alice every action" in message
