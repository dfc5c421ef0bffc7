"""Offboarding through the real scheduler: ``airflow standalone`` (scheduler, dag-processor, api-server,
triggerer) on free local ports against the sandbox moto server and Slack stand-in, triggered as a person would:
through the REST API with a token, and with ``airflow dags trigger``."""

from __future__ import annotations

import json

import pytest

from local.standalone import DAG_ID
from sandbox.seed import EVERYTHING, seed_user
from tests import helpers

pytestmark = pytest.mark.e2e

CALLER = "arn:aws:sts::123456789012:user/moto"
# One of every kind, and two managed policies so detach_user_policy is mapped; small enough to run fast.
SHAPE = EVERYTHING | {"managed_policies": 2, "inline_policies": 1, "groups": 1, "access_keys": 1}


@pytest.fixture
def bystander(stack):
    seed_user(stack.iam, "bystander", SHAPE)


def user_exists(stack, name: str) -> bool:
    return helpers.user_exists(stack.iam, name)


def assert_offboarded(stack, run_id: str, name: str) -> None:
    state = stack.wait_for_run(run_id, timeout=90)
    assert state == "success", (state, stack.task_states(run_id))
    assert not user_exists(stack, name)
    assert user_exists(stack, "bystander")
    texts = [t for t in stack.messages if t.startswith(f"IAM user {name} ")]
    assert len(texts) == 1, stack.messages
    assert texts[0].startswith(f"IAM user {name} deleted by {CALLER}")


def test_rest_trigger_offboards_the_user(stack, bystander):
    seed_user(stack.iam, "rest.user", SHAPE)

    run_id = stack.trigger({"user_name": "rest.user", "reason": "e2e REST"})

    assert_offboarded(stack, run_id, "rest.user")
    links = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/delete_user/links")
    assert links["extra_links"] == {
        "IAM user in AWS console": "https://console.aws.amazon.com/iam/home#/users/details/rest.user"
    }


def test_cli_trigger_offboards_the_user(stack, bystander):
    seed_user(stack.iam, "cli.user", SHAPE)

    result = stack.airflow("dags", "trigger", DAG_ID, "--conf", json.dumps({"user_name": "cli.user"}), "-o", "json")

    # The CLI logs before it prints the run as a JSON list on its last line.
    (run,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert run["conf"] == {"user_name": "cli.user"}
    assert_offboarded(stack, run["dag_run_id"], "cli.user")


def test_two_runs_for_one_user_at_once_delete_it_once(stack, bystander):
    seed_user(stack.iam, "twice.user", SHAPE)

    run_ids = [stack.trigger({"user_name": "twice.user", "reason": f"race {i}"}) for i in (1, 2)]
    states = [stack.wait_for_run(run_id, timeout=120) for run_id in run_ids]

    assert not user_exists(stack, "twice.user")
    assert user_exists(stack, "bystander")
    texts = [t for t in stack.messages if "twice.user" in t]
    assert len([t for t in texts if t.startswith("IAM user twice.user deleted by ")]) == 1, texts
    assert "success" in states
    # The other run either reached DeleteUser after the first ("already deleted"), or started after it and was
    # refused at check_user ("does not exist"); neither claims a deletion.
    loser = run_ids[states.index("success") ^ 1] if states.count("success") == 1 else None
    if loser is None:
        assert any(t.startswith("IAM user twice.user was already deleted") for t in texts), texts
    else:
        assert stack.task_states(loser)["check_user"] == "failed"
        assert any("IAM user 'twice.user' does not exist" in t for t in texts), texts
