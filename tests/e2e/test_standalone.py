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


def user_exists(stack, name: str) -> bool:
    return helpers.user_exists(stack.iam, name)


def deleted_messages(stack, name: str) -> list[str]:
    return [t for t in stack.messages if t.startswith(f"IAM user {name} deleted by {CALLER}")]


def test_rest_and_cli_triggers_and_two_runs_for_one_user_at_once(stack):
    """Four runs at once through the real scheduler: one per REST and CLI trigger, and two racing for one user."""
    for name in ("bystander", "rest.user", "cli.user", "twice.user"):
        seed_user(stack.iam, name, SHAPE)

    rest_run = stack.trigger({"user_name": "rest.user", "reason": "e2e REST"})
    result = stack.airflow("dags", "trigger", DAG_ID, "--conf", json.dumps({"user_name": "cli.user"}), "-o", "json")
    # The CLI logs before it prints the run as a JSON list on its last line.
    (cli_run,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert cli_run["conf"] == {"user_name": "cli.user"}
    race = [stack.trigger({"user_name": "twice.user", "reason": f"race {i}"}) for i in (1, 2)]

    for run_id in (rest_run, cli_run["dag_run_id"]):
        assert (state := stack.wait_for_run(run_id, timeout=120)) == "success", (state, stack.task_states(run_id))
    race_states = [stack.wait_for_run(run_id, timeout=120) for run_id in race]

    assert user_exists(stack, "bystander")
    for name in ("rest.user", "cli.user", "twice.user"):
        assert not user_exists(stack, name)
        assert len(deleted_messages(stack, name)) == 1, stack.messages
    links = stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{rest_run}/taskInstances/delete_user/links")
    assert links["extra_links"] == {
        "IAM user in AWS console": "https://console.aws.amazon.com/iam/home#/users/details/rest.user"
    }
    # Of the two racing runs, the other either reached DeleteUser after the first ("already deleted"), or started
    # after it and was refused at check_user ("does not exist"); neither claims a deletion.
    assert "success" in race_states
    texts = [t for t in stack.messages if "twice.user" in t]
    loser = race[race_states.index("success") ^ 1] if race_states.count("success") == 1 else None
    if loser is None:
        assert any(t.startswith("IAM user twice.user was already deleted") for t in texts), texts
    else:
        # Or it failed before DeleteUser: refused at check_user, or the user vanished under a later read (its
        # snapshot, a removal), more likely now that the approval tasks stand between; its own alert says where.
        failed = sorted(task for task, state in stack.task_states(loser).items() if state == "failed")
        assert failed and "delete_user" not in failed, failed
        if failed == ["check_user"]:
            assert any("IAM user 'twice.user' does not exist" in t for t in texts), texts
        else:
            assert any(t.startswith(f"FAILED: {DAG_ID} / {failed[0]} (run {loser})") for t in texts), texts
