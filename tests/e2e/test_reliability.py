"""Throttling, transient errors, permanent errors and crashes midway, injected by the sandbox server."""

from __future__ import annotations

import pytest

from sandbox.seed import EVERYTHING, seed_user
from tests.e2e.test_offboarding import user_exists
from tests.fixtures.e2e import run_dag

pytestmark = pytest.mark.e2e


def attached(iam, name: str) -> int:
    return len(iam.list_attached_user_policies(UserName=name)["AttachedPolicies"])


def test_offboarding_completes_when_30_percent_of_iam_calls_are_throttled(sandbox):
    seed_user(sandbox.iam, "alice")
    seed_user(sandbox.iam, "bob")
    sandbox.set_faults({"throttle_fraction": 0.3, "seed": 7})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})
    throttled = sum(n for key, n in sandbox.injected_faults().items() if key.endswith(":Throttling"))
    sandbox.set_faults({})

    assert result.state == "success", result.task_states
    assert throttled >= 10
    assert not user_exists(sandbox.iam, "alice")
    assert user_exists(sandbox.iam, "bob") and attached(sandbox.iam, "bob") == 12
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
    for task in ("delete_login_profile", "remove_from_groups", "delete_access_keys", "delete_user"):
        assert result.tries[task] == 1, f"{task} needed an Airflow retry"
    assert not user_exists(sandbox.iam, "alice")


def test_delete_conflict_from_eventual_consistency_is_retried(sandbox):
    seed_user(sandbox.iam, "alice")
    sandbox.set_faults({"fail": {"DeleteUser": ["DeleteConflict", 1]}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "success", result.task_states
    assert not user_exists(sandbox.iam, "alice")
    assert result.tries["delete_user"] == 1


def test_access_denied_fails_at_once_and_claims_nothing(sandbox):
    seed_user(sandbox.iam, "alice")
    sandbox.set_faults({"fail": {"DeleteAccessKey": ["AccessDenied", 99]}})

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert result.state == "failed"
    assert result.task_states["delete_access_keys"] == "failed"
    assert result.tries["delete_access_keys"] == 1, "a permanent error was retried"
    assert result.task_states["delete_user"] == "upstream_failed"
    assert user_exists(sandbox.iam, "alice")
    [alert] = sandbox.messages
    assert alert.startswith("FAILED: iam_user_offboarding / delete_access_keys") and "AccessDenied" in alert


def test_a_run_that_died_halfway_is_finished_by_a_new_run(sandbox):
    seed_user(sandbox.iam, "alice")
    # Six detaches go through, then every further one is refused: the first run dies halfway.
    sandbox.set_faults({"fail": {"DetachUserPolicy": ["AccessDenied", 99, 6]}})

    first = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert first.state == "failed"
    assert attached(sandbox.iam, "alice") == EVERYTHING["managed_policies"] - 6
    assert not any("deleted by" in m for m in sandbox.messages)

    sandbox.set_faults({})
    sandbox.clear_messages()
    second = run_dag("iam_user_offboarding", {"user_name": "alice"})

    assert second.state == "success", second.task_states
    assert not user_exists(sandbox.iam, "alice")
    assert sandbox.messages[0].startswith("IAM user alice deleted by ")
    assert "6 managed policies" in sandbox.messages[0]
