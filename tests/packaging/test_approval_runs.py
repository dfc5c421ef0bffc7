"""One approval, answered Approve and answered Reject, on whichever Airflow runs the tests (scripts/matrix.sh)."""

from __future__ import annotations

import pytest

from tests.fixtures.e2e import REQUESTED_BY, run_dag
from tests.helpers import user_exists

pytestmark = pytest.mark.e2e


def test_an_approved_provisioning_creates_the_user_and_names_who_asked_and_who_approved(sandbox):
    result = run_dag("iam_user_provisioning", {"user_name": "approved.newbie"}, answer="Approve")

    assert result.state == "success", result.task_states
    assert user_exists(sandbox.iam, "approved.newbie")
    record = result.xcom("approve_changes")
    assert record["approved"] is True, record
    assert any(f"requested by {REQUESTED_BY}, approved by approver" in text for text in sandbox.messages)


def test_a_rejected_provisioning_changes_nothing(sandbox):
    result = run_dag("iam_user_provisioning", {"user_name": "rejected.newbie"}, answer="Reject")

    # The answer is recorded (the approval task succeeds) and the changes after it are skipped.
    assert result.task_states["approve_changes"] == "success", result.task_states
    assert result.task_states["create_login_profile"] == "skipped", result.task_states
    assert not user_exists(sandbox.iam, "rejected.newbie")
    assert result.xcom("approve_changes")["approved"] is False
