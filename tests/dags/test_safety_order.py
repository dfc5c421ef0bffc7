"""
Containment, then sign-in, go first, by the DAGs' structure: in the offboarding nothing changes the user before the
deny-all policy of ``contain_user`` is in place (the disable puts it in ``snapshot_user``, before its other tasks).
Sign-in goes first after it: no task that removes or detaches anything, nor DeleteUser, can run
before the console password is deleted and the access keys deactivated, nor after either of them failed.

In the offboarding, checked on every task of the right kind (by operator class, so a removal task added later is
held to it too); in the reconciliation's disable, the tag comes after both. Every task between them must have a
trigger rule that stops at an upstream failure. Until this test, only ``remove_user_items`` was checked.
"""

from __future__ import annotations

import pytest

from iam_lifecycle.operators.offboarding import (
    ContainUserOperator,
    DeactivateAccessKeysOperator,
    DeleteLoginProfileOperator,
    DeleteUserOperator,
    DetachUserPolicyOperator,
    RemoveUserItemsOperator,
)
from tests.helpers import project_dagbag

SIGN_IN = (DeleteLoginProfileOperator, DeactivateAccessKeysOperator)
#: The trigger rules under which a task does not run when an upstream task failed.
STOPS_AT_A_FAILURE = {"all_success", "none_failed", "none_failed_min_one_success"}


def graph(dag) -> dict[str, dict]:
    """Each task's operator class (a mapped task's too), trigger rule and direct upstream task ids."""
    return {
        task.task_id: {
            "class": getattr(task, "operator_class", type(task)),
            "rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
            "upstream": set(task.upstream_task_ids),
        }
        for task in dag.tasks
    }


def ancestors(tasks: dict[str, dict], task_id: str) -> set[str]:
    found, pending = set(), list(tasks[task_id]["upstream"])
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(tasks[current]["upstream"])
    return found


def of_class(tasks: dict[str, dict], classes: tuple[type, ...]) -> set[str]:
    return {t for t, task in tasks.items() if isinstance(task["class"], type) and issubclass(task["class"], classes)}


def first_violations(tasks: dict[str, dict], firsts: set[str], thens: set[str]) -> list[str]:
    """Why some task of ``thens`` could run before, or despite the failure of, a task of ``firsts``."""
    violations = []
    for later in sorted(thens):
        before = ancestors(tasks, later)
        for earlier in sorted(firsts):
            if earlier not in before:
                violations.append(f"{later} is not after {earlier}")
                continue
            between = {t for t in before if earlier in ancestors(tasks, t)} | {later}
            violations += [
                f"{t} (between {earlier} and {later}) runs after a failure: trigger rule {tasks[t]['rule']}"
                for t in sorted(between)
                if tasks[t]["rule"] not in STOPS_AT_A_FAILURE
            ]
    return violations


@pytest.fixture(scope="module")
def offboarding():
    return graph(project_dagbag().dags["iam_user_offboarding"])


@pytest.fixture(scope="module")
def reconciliation():
    return graph(project_dagbag().dags["iam_stale_user_reconciliation"])


REMOVALS = (DetachUserPolicyOperator, RemoveUserItemsOperator, DeleteUserOperator)


def test_offboarding_deletes_the_password_and_deactivates_the_keys_before_any_removal_and_delete_user(offboarding):
    sign_in, removals = of_class(offboarding, SIGN_IN), of_class(offboarding, REMOVALS)
    assert sign_in == {"delete_login_profile", "deactivate_access_keys"}
    assert {"detach_user_policy", "remove_user_items", "delete_user"} <= removals
    assert first_violations(offboarding, sign_in, removals) == []


def test_offboarding_denies_the_user_every_action_before_any_other_change(offboarding):
    contained = of_class(offboarding, (ContainUserOperator,))
    assert contained == {"contain_user"}
    assert "take_snapshot" in ancestors(offboarding, "contain_user"), "the deny policy comes after the snapshot"
    assert first_violations(offboarding, contained, of_class(offboarding, SIGN_IN + REMOVALS)) == []


def test_reconciliations_disable_tags_the_user_only_after_its_password_and_keys_are_gone(reconciliation):
    # Its changes are @task functions (each checks the user again), so they are named, not found by class.
    sign_in = {"delete_login_profile", "deactivate_access_keys"}
    assert sign_in | {"tag_disabled"} <= set(reconciliation)
    assert first_violations(reconciliation, sign_in, {"tag_disabled"}) == []


@pytest.mark.parametrize("broken", ["an edge dropped", "all_done between"])
def test_the_check_sees_a_removal_that_could_run_before_sign_in_or_after_its_failure(offboarding, broken):
    """The same check on the offboarding DAG with its order broken, as a refactoring might break it."""
    tasks = {task_id: {**task, "upstream": set(task["upstream"])} for task_id, task in offboarding.items()}
    if broken == "an edge dropped":
        tasks["detach_user_policy"]["upstream"] -= {"delete_login_profile"}
        expected = ["detach_user_policy is not after delete_login_profile"]
    else:
        tasks["delete_user"]["rule"] = "all_done"
        expected = [
            f"delete_user (between {first} and delete_user) runs after a failure: trigger rule all_done"
            for first in ("deactivate_access_keys", "delete_login_profile")
        ]

    assert first_violations(tasks, of_class(tasks, SIGN_IN), of_class(tasks, REMOVALS)) == expected
