"""The approval cannot be gone around by anyone who may edit runs, over Airflow's REST API on the distributed stack
(``tests.fixtures.distributed``): ``operator`` may trigger and edit runs but is no approver; ``admin`` is the one
approver. Each way round the approval changes nothing in IAM and says why: marking the approval task success while a
delete-mode reconciliation waits, clearing ``delete_user`` after a rejection, approving one's own run, and an
offboarding run that names a parent run whose approval did not cover it."""

from __future__ import annotations

import time

import pytest

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY
from local.load import seed_idle_users
from local.standalone import DAG_ID, RECONCILIATION_DAG_ID
from sandbox.seed import NOTHING, seed_user
from tests.fixtures.distributed import APPROVER, NOT_AN_APPROVER, ON_THE_STACK
from tests.helpers import holdings

pytestmark = pytest.mark.e2e

SHAPE = NOTHING | {"access_keys": 1, "login_profile": True, "managed_policies": 1}


def wait_for_message(stack, prefix: str, timeout: float = 60) -> str:
    """The first Slack text starting with ``prefix``, once it has come."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := [m for m in stack.messages if m.startswith(prefix)]:
            return found[0]
        time.sleep(0.5)
    raise TimeoutError(f"no Slack message {prefix!r} within {timeout} s: {stack.messages}")


def hitl_detail(stack, run_id: str, dag_id: str = DAG_ID) -> dict:
    return stack.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK_ID}/-1/hitlDetails")


@ON_THE_STACK
def test_marking_the_approval_success_while_a_reconciliation_waits_deletes_nobody(stack):
    seed_idle_users(stack, ["stale-a", "stale-b"])
    held = {name: holdings(stack.iam, name) for name in ("stale-a", "stale-b")}
    operator = stack.as_user(NOT_AN_APPROVER)
    run_id = operator.trigger({"mode": "delete", "max_users": 5}, dag_id=RECONCILIATION_DAG_ID)
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id, dag_id=RECONCILIATION_DAG_ID)
    stack.clear_calls()

    path = f"/dags/{RECONCILIATION_DAG_ID}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK_ID}"
    operator.api("PATCH", path, {"new_state": "success"})
    stack.wait_while_progressing(run_id, dag_id=RECONCILIATION_DAG_ID)

    states = stack.task_states(run_id, dag_id=RECONCILIATION_DAG_ID)
    assert states["users_to_delete"] == "failed", states
    assert stack.mutating_calls() == []
    assert {name: holdings(stack.iam, name) for name in held} == held
    assert any(
        "delete needs the approval of 1 (approval policy): no approval was recorded" in m for m in stack.messages
    ), stack.messages


@ON_THE_STACK
def test_clearing_delete_user_after_a_rejection_changes_nothing(stack):
    seed_user(stack.iam, "kept.user", SHAPE)
    held = holdings(stack.iam, "kept.user")
    run_id = stack.as_user(NOT_AN_APPROVER).trigger({"user_name": "kept.user", "require_approval": True})
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id)
    stack.answer(run_id, "Reject", APPROVAL_TASK_ID)
    assert stack.wait_while_progressing(run_id) == "success"
    stack.clear_calls()

    body = {"dry_run": False, "task_ids": ["delete_user"], "dag_run_id": run_id, "only_failed": False}
    stack.as_user(NOT_AN_APPROVER).api("POST", f"/dags/{DAG_ID}/clearTaskInstances", body)
    stack.wait_for_task(run_id, "delete_user", {"failed"}, timeout=120)

    assert stack.mutating_calls() == []
    assert holdings(stack.iam, "kept.user") == held
    assert any("was not approved (rejected by admin)" in m for m in stack.messages), stack.messages


@ON_THE_STACK
def test_the_requester_cannot_approve_their_own_run(stack):
    seed_user(stack.iam, "own.user", SHAPE)
    held = holdings(stack.iam, "own.user")
    stack.clear_calls()
    # admin is the one approver, and triggers the run: its own approval is refused, and the run keeps waiting.
    run_id = stack.trigger({"user_name": "own.user", "require_approval": True, "approval_timeout": 30})
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id)
    stack.answer(run_id, "Approve", APPROVAL_TASK_ID)

    refused = wait_for_message(stack, "Approval refused: Delete IAM user own.user")
    assert f"{APPROVER} requested this run and cannot approve it (four eyes)" in refused
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id)
    assert hitl_detail(stack, run_id)["response_received"] is False
    assert stack.wait_while_progressing(run_id) == "success"  # no other answer within 30 s: nothing changed
    assert stack.mutating_calls() == []
    assert holdings(stack.iam, "own.user") == held


@ON_THE_STACK
def test_a_run_naming_a_parent_that_did_not_approve_it_changes_nothing(stack, monkeypatch):
    seed_user(stack.iam, "victim", SHAPE)
    seed_user(stack.iam, "other.user", SHAPE)
    held = holdings(stack.iam, "victim")
    operator = stack.as_user(NOT_AN_APPROVER)
    # A real, approved run: it approved deleting other.user, not victim.
    approved = operator.trigger({"user_name": "other.user", "require_approval": True})
    stack.wait_for_approval(APPROVAL_TASK_ID, approved)
    stack.answer(approved, "Approve", APPROVAL_TASK_ID)
    assert stack.wait_while_progressing(approved) == "success"
    stack.clear_calls()

    forged = operator.trigger({"user_name": "victim", APPROVAL_RUN_KEY: {"dag_id": DAG_ID, "run_id": approved}})
    assert stack.wait_while_progressing(forged) == "failed"

    assert stack.task_states(forged)["take_snapshot"] == "failed"
    assert stack.mutating_calls() == []
    assert holdings(stack.iam, "victim") == held
    assert any(f"the approval of run {approved} of {DAG_ID} was for offboarding" in m for m in stack.messages), (
        stack.messages
    )
