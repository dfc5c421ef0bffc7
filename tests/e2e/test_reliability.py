"""Transient errors, injected by the sandbox server: retried by the client, not by Airflow.

Throttling of every IAM call is proven at unit level (tests/unit/test_offboarding.py), and whole runs under
throttling by the distributed load (tests/distributed). Permanent errors and runs that fail half way are in
test_offboarding_faults.py."""

from __future__ import annotations

import pytest

from sandbox.seed import seed_user
from tests.fixtures.e2e import run_dag
from tests.helpers import user_exists

pytestmark = pytest.mark.e2e


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
