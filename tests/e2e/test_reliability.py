"""Throttling and transient errors, injected by the sandbox server: retried by the client, not by Airflow.

Permanent errors and runs that fail half way are in test_offboarding_faults.py."""

from __future__ import annotations

import pytest

from sandbox.seed import ONE_OF_EACH, seed_user
from tests.fixtures.e2e import run_dag
from tests.helpers import user_exists

pytestmark = pytest.mark.e2e


def attached(iam, name: str) -> int:
    return len(iam.list_attached_user_policies(UserName=name)["AttachedPolicies"])


def test_offboarding_completes_when_20_percent_of_iam_calls_are_throttled(sandbox):
    seed_user(sandbox.iam, "alice", ONE_OF_EACH)
    seed_user(sandbox.iam, "bob", ONE_OF_EACH)
    sandbox.set_faults({"throttle_fraction": 0.2, "seed": 7})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})
    throttled = sum(n for key, n in sandbox.injected_faults().items() if key.endswith(":Throttling"))
    sandbox.set_faults({})

    assert result.state == "success", result.task_states
    assert throttled >= 4
    assert not user_exists(sandbox.iam, "alice")
    assert user_exists(sandbox.iam, "bob") and attached(sandbox.iam, "bob") == 1
    assert sandbox.messages[0].startswith("IAM user alice deleted by ")


def test_transient_iam_errors_are_retried_by_the_client_not_the_task(sandbox):
    seed_user(sandbox.iam, "alice")
    sandbox.set_faults(
        {
            "fail": {
                "DeleteLoginProfile": ["EntityTemporarilyUnmodifiable", 3],
                "RemoveUserFromGroup": ["ConcurrentModification", 2],
                "DeleteAccessKey": ["ServiceFailure", 2],
                "DeleteUser": ["EntityTemporarilyUnmodifiable", 2],
            }
        }
    )

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    assert sum(sandbox.injected_faults().values()) == 9
    for task in ("delete_login_profile", "remove_user_items[groups]", "remove_user_items[access_keys]", "delete_user"):
        assert result.tries[task] == 1, f"{task} needed an Airflow retry"
    assert not user_exists(sandbox.iam, "alice")
