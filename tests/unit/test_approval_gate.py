"""The approval task itself, run as a worker runs it: its request, the approvers it waits for, a rejection, a
timeout, an approval, four eyes and a policy of two approvers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException, DownstreamTasksSkipped

try:  # How Airflow parks a waiting approval: 3.3 awaits input; 3.1 and 3.2 defer it to a trigger polling the answer.
    from airflow.sdk.exceptions import TaskAwaitingInput
except ImportError:
    from airflow.sdk.exceptions import TaskDeferred as TaskAwaitingInput

from iam_lifecycle.approval import answers as approval
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.approval.answers import decision_phrase
from iam_lifecycle.operators import approval as approval_operators
from iam_lifecycle.operators.approval import ApprovalGateOperator
from tests.unit.test_approval import ACCOUNT, ALICE, APPROVED, REJECTED, TIMED_OUT


class FakeTaskInstance:
    def __init__(self, task_id: str = approval.APPROVAL_TASK_ID) -> None:
        self.id = "0197e7d2-0000-7000-8000-000000000000"
        self.dag_id, self.run_id, self.task_id, self.map_index = "d", "manual__r", task_id, -1
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids=None, dag_id=None, key="return_value", run_id=None, **kwargs) -> object:
        return self.pushed.get(key)


class FakeDagRun:
    def __init__(self, triggering_user_name: str | None = "operator", run_type: str = "manual") -> None:
        self.triggering_user_name, self.run_type, self.conf = triggering_user_name, run_type, {}


TARGETS = [{"account": ACCOUNT, "user_name": "stale-1", "user_id": "AIDASTALE1"}]


@pytest.fixture
def gate(monkeypatch):
    """The approval task of a delete-mode reconciliation in a small DAG (one change after it), requested by
    `operator`, with Slack and the HITL store captured."""
    posted: list[str] = []
    requests: list[dict] = []
    monkeypatch.setattr(approval_operators, "post_text", lambda context, text: posted.append(text))
    monkeypatch.setattr(
        "airflow.providers.standard.operators.hitl.upsert_hitl_detail", lambda **request: requests.append(request)
    )
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example")
    with DAG("d", schedule=None) as dag:
        task = ApprovalGateOperator(
            task_id=approval.APPROVAL_TASK_ID, change="delete", targets=TARGETS, subject="Delete 2?", body="**plan**"
        )
        task >> EmptyOperator(task_id="change")
    task.approval_timeout = "3600"  # as rendered from params.approval_timeout
    ti = FakeTaskInstance()
    context = {
        "ti": ti,
        "task_instance": ti,
        "task": task,
        "dag": dag,
        "run_id": ti.run_id,
        "dag_run": FakeDagRun(),
        "params": {},
    }
    return task, context, posted, requests


def test_the_approval_waits_for_the_listed_approvers_and_slack_gets_the_link(gate, monkeypatch):
    task, context, posted, requests = gate
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVERS", '["alice", {"id": "7", "name": "bob"}]')

    asked_at = datetime.now(UTC)
    with pytest.raises(TaskAwaitingInput) as waiting:
        task.execute(context)

    if waiting.value.timeout is None:  # Airflow 3.1 hands the trigger a deadline instead
        deadline = waiting.value.trigger.timeout_datetime
        assert asked_at + timedelta(hours=1) <= deadline <= datetime.now(UTC) + timedelta(hours=1)
    else:
        assert waiting.value.timeout == timedelta(hours=1)
    [request] = requests
    assert (request["subject"], request["options"]) == ("Delete 2?", ["Approve", "Reject"])
    # The users the signed record will approve are listed from the value it is signed from (not the plan's text).
    assert request["body"] == (
        "Requested by **operator**; needs 1 approver(s).\n\n**plan**\n\n"
        "**Approving this approves exactly these users:**\n"
        f"- `stale-1` in account {ACCOUNT} (UserId AIDASTALE1)"
    )
    assert request["defaults"] == ["Reject"] and request["params"] == {}
    assert request["assigned_users"] == [ALICE, {"id": "7", "name": "bob"}]
    assert posted == [
        "Approval needed: Delete 2?\n"
        "d run manual__r, requested by operator, waits for a person to approve or reject it: "
        "http://airflow.example/dags/d/runs/manual__r/tasks/approve_changes/required_actions?map_index=-1\n"
        "Who may answer: alice, bob. With no answer within 1 h, nothing is changed."
    ]


def test_a_malformed_approvers_variable_fails_the_approval_and_nothing_changes(gate, monkeypatch):
    task, context, posted, requests = gate
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVERS", "alice")

    with pytest.raises(AirflowFailException, match="iam_lifecycle_approvers .*; nothing was changed"):
        task.execute(context)
    assert requests == posted == []


@pytest.mark.parametrize("required", [False, "False"])
def test_an_approval_with_nothing_to_approve_is_skipped_without_asking(gate, required):
    task, context, posted, requests = gate
    task.required = required

    with pytest.raises(AirflowSkipException):
        task.execute(context)
    assert requests == posted == []


def test_a_change_the_policy_asks_nobody_for_is_skipped_unless_the_run_asks(gate, monkeypatch):
    task, context, posted, requests = gate
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_POLICY", '{"delete": 0}')

    with pytest.raises(AirflowSkipException):
        task.execute(context)
    with pytest.raises(TaskAwaitingInput):
        task.execute({**context, "params": {"require_approval": True}})


@pytest.mark.parametrize(("event", "phrase"), [(REJECTED, "rejected by alice"), (TIMED_OUT, "no answer within 1 h")])
def test_a_rejection_or_a_timeout_skips_the_changes_keeps_the_answer_and_tells_slack(gate, event, phrase):
    task, context, posted, _ = gate

    with pytest.raises(DownstreamTasksSkipped) as skipped:
        task.execute_complete(context, event)

    assert skipped.value.tasks == ["change"]
    answer = context["ti"].pushed["return_value"]
    assert answer["approved"] is False and decision_phrase(answer) == phrase
    assert posted == [f"Not approved: Delete 2? (d run manual__r): {phrase}. Nothing was changed."]
    record = context["ti"].pushed[approval_proof.RECORD_KEY]
    assert record["outcome"] == ("rejected" if event is REJECTED else "timed_out")


def test_an_approval_lets_the_run_go_on_and_records_who_asked_and_who_approved(gate):
    task, context, posted, _ = gate

    answer = task.execute_complete(context, APPROVED)

    assert answer["approved"] is True and answer["by"] == "alice"
    assert posted == []  # the run's own messages name the approver
    record = context["ti"].pushed[approval_proof.RECORD_KEY]
    assert approval_proof.signed_by(record, "test-approval-signing-key")
    assert (record["requested_by"], record["outcome"], record["targets"]) == ("operator", "approved", TARGETS)
    assert approval_proof.approver_names(record) == ["alice"]


def test_the_requester_cannot_approve_their_own_run_and_it_keeps_waiting(gate):
    task, context, posted, requests = gate
    by_requester = {**APPROVED, "responded_by_user": {"id": "operator", "name": "operator"}}

    with pytest.raises(TaskAwaitingInput):
        task.execute_complete(context, by_requester)

    assert approval_proof.RECORD_KEY not in context["ti"].pushed
    assert posted[0] == (
        "Approval refused: Delete 2? (d run manual__r): operator requested this run and cannot approve it "
        "(four eyes). The run still waits for an approver."
    )
    assert len(requests) == 1  # asked again


def test_a_policy_of_two_approvers_needs_two_distinct_people(gate, monkeypatch):
    task, context, posted, _ = gate
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_POLICY", '{"delete": 2}')
    bob = {**APPROVED, "responded_by_user": {"id": "bob", "name": "bob"}}

    with pytest.raises(TaskAwaitingInput):
        task.execute_complete(context, APPROVED)  # alice: one of two
    with pytest.raises(TaskAwaitingInput):
        task.execute_complete(context, APPROVED)  # alice again: refused
    assert any("alice has approved already: 2 distinct people must approve" in text for text in posted)
    assert approval_proof.RECORD_KEY not in context["ti"].pushed

    answer = task.execute_complete(context, bob)

    record = context["ti"].pushed[approval_proof.RECORD_KEY]
    assert answer["approved"] and approval_proof.approver_names(record) == ["alice", "bob"]


def test_an_answer_by_someone_not_listed_is_refused(gate, monkeypatch):
    task, context, posted, _ = gate
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVERS", '["alice"]')
    mallory = {**APPROVED, "responded_by_user": {"id": "mallory", "name": "mallory"}}

    with pytest.raises(TaskAwaitingInput):
        task.execute_complete(context, mallory)
    assert "mallory is not listed in iam_lifecycle_approvers" in posted[0]
