"""A person approves before anything is deleted, through the real scheduler and the REST API (the distributed
stack, ``tests.fixtures.distributed``): three ``iam_user_offboarding`` runs with ``require_approval`` at once,
answered differently.

While they wait, no mutating IAM call is made, Slack has the link to each approval page, and a user who may act on
DAG runs but is not an approver (the Variable ``iam_lifecycle_approvers`` lists only admin) is refused. Then admin
rejects one (nothing changed; Slack names who rejected), approves one (the user is deleted; the snapshot and Slack
name the approver), and nobody answers the third within its 5-second ``approval_timeout`` (nothing changed; Slack
says nobody answered). The bulk DAGs' approvals go through the same task: see ``test_reconciliation`` (delete
mode) and ``test_organization``, which approve over REST; their rejection and skips are checked on the DAG
structure (``tests/dags/test_approval.py``) and the task's behaviour at unit level (``tests/unit/test_approval.py``).
"""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from local.standalone import DAG_ID
from sandbox.seed import NOTHING, seed_user
from tests.fixtures.distributed import APPROVER, NOT_AN_APPROVER, ON_THE_STACK
from tests.helpers import holdings, user_exists

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"
SHAPE = NOTHING | {"access_keys": 1, "login_profile": True, "inline_policies": 1}
USERS = ("rejected.user", "approved.user", "ignored.user")


def hitl_detail(stack, run_id: str) -> dict:
    return stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK_ID}/-1/hitlDetails")


@ON_THE_STACK
def test_runs_wait_for_an_approver_and_reject_approve_and_no_answer_do_what_they_say(stack):
    for name in (*USERS, "bystander"):
        seed_user(stack.iam, name, SHAPE)
    held = {name: holdings(stack.iam, name) for name in (*USERS, "bystander")}
    stack.clear_calls()

    # Requested by a user who may trigger runs; approved, or not, by the approver (four eyes).
    requester = stack.as_user(NOT_AN_APPROVER)
    conf = {"require_approval": True, "reason": "JIRA-13"}
    rejected, approved = (requester.trigger(conf | {"user_name": name}) for name in USERS[:2])
    ignored = requester.trigger(conf | {"user_name": "ignored.user", "approval_timeout": 5})

    # Waiting for a person: nothing changed, Slack has the link, the page shows the plan and who may answer.
    stack.wait_for_approval(APPROVAL_TASK_ID, rejected, approved)
    assert stack.mutating_calls() == []
    detail = hitl_detail(stack, approved)
    assert detail["subject"] == f"Delete IAM user approved.user in account {ACCOUNT}?"
    assert detail["options"] == ["Approve", "Reject"] and detail["defaults"] == ["Reject"]
    assert detail["assigned_users"] == [{"id": APPROVER, "name": APPROVER}]
    assert f"| inline policies | {held['approved.user']['inline'][0]} |" in detail["body"].splitlines()
    link = f"{stack.url}/dags/{DAG_ID}/runs/{approved}/tasks/{APPROVAL_TASK_ID}/required_actions?map_index=-1"
    assert any(m.startswith("Approval needed: Delete IAM user approved.user") and link in m for m in stack.messages)

    # A user who may act on DAG runs, but is not an approver, is refused, and the approval still waits.
    with pytest.raises(RuntimeError, match=f"answered 403: .*User={NOT_AN_APPROVER} .*is not a respondent"):
        stack.as_user(NOT_AN_APPROVER).answer(rejected, "Approve", APPROVAL_TASK_ID)
    assert hitl_detail(stack, rejected)["response_received"] is False

    stack.answer(rejected, "Reject", APPROVAL_TASK_ID)
    stack.answer(approved, "Approve", APPROVAL_TASK_ID)
    for run_id in (rejected, approved, ignored):
        assert (state := stack.wait_for_run(run_id, timeout=120)) == "success", (state, stack.task_states(run_id))

    # Approved: deleted, and the approver is in the snapshot and in Slack. Only that user was changed.
    assert not user_exists(stack.iam, "approved.user")
    assert {c["params"].get("UserName") for c in stack.mutating_calls()} == {"approved.user"}
    [snapshot] = (stack.home / "snapshots" / ACCOUNT / "approved.user").glob("*.json")
    kept = json.loads(snapshot.read_text())
    assert (kept["requested_by"], kept["approved_by"]) == (NOT_AN_APPROVER, APPROVER)
    deleted = f"IAM user approved.user deleted by {CALLER}, requested by {NOT_AN_APPROVER}, approved by {APPROVER}\n"
    assert any(m.startswith(deleted) for m in stack.messages)

    # Rejected, and not answered in time: nothing changed (no snapshot either), and Slack says why.
    for name in ("rejected.user", "ignored.user", "bystander"):
        assert holdings(stack.iam, name) == held[name], name
    for run_id, name, why in (
        (rejected, "rejected.user", f"rejected by {APPROVER}"),
        (ignored, "ignored.user", "no answer within 5 s"),
    ):
        tasks = stack.task_states(run_id)
        assert tasks[APPROVAL_TASK_ID] == "success"
        assert tasks["take_snapshot"] == tasks["delete_user"] == tasks["notify_slack"] == "skipped", tasks
        assert (
            f"Not approved: Delete IAM user {name} in account {ACCOUNT}? ({DAG_ID} run {run_id}): {why}. "
            "Nothing was changed."
        ) in stack.messages
        assert not (stack.home / "snapshots" / ACCOUNT / name).exists()
    timed_out = hitl_detail(stack, ignored)
    assert (timed_out["chosen_options"], timed_out["responded_by_user"]) == (["Reject"], None)

    # Airflow's own run pages say whom each run acted on and how it ended: the run's note.
    notes = {run: stack.api("GET", f"/dags/{DAG_ID}/dagRuns/{run}")["note"] for run in (rejected, approved, ignored)}
    assert notes == {
        approved: "Offboarding IAM user approved.user: deleted",
        rejected: f"Offboarding IAM user rejected.user: rejected by {APPROVER}: nothing was changed",
        ignored: "Offboarding IAM user ignored.user: timed out: nobody answered the approval in time: nothing was "
        "changed",
    }
