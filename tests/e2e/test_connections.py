"""A typo in an AWS connection id, while the worker's own credentials reach an account: whole runs (dag.test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.seed import EVERYTHING, seed_user
from tests.fixtures.e2e import run_dag
from tests.helpers import has_login_profile, holdings

pytestmark = pytest.mark.e2e

TYPO_REASON = "AWS connection aws_typo does not exist; nothing was changed."


def test_a_missing_connection_acts_nowhere_and_reconciliation_still_reports_the_other_accounts(
    sandbox, monkeypatch, tmp_path
):
    # The worker's own credential chain (the test's AWS_* variables) reaches the sandbox account: without the
    # check, the provider falls back on it and acts there.
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.moto_url)
    iam = sandbox.iam
    seed_user(iam, "departing", EVERYTHING)
    now = datetime.now(UTC)
    sandbox.set_user_dates(
        "departing", create_date=now - timedelta(days=400), password_last_used=now - timedelta(days=200)
    )
    before = holdings(iam, "departing")
    sandbox.clear_calls()

    offboarding = run_dag("iam_user_offboarding", {"user_name": "departing", "aws_conn_id": "aws_typo"})

    assert offboarding.state == "failed"
    # It stops at its first AWS tasks (check_user runs beside get_caller_identity), before any call.
    failed = {task for task, state in offboarding.task_states.items() if state == "failed"}
    assert "get_caller_identity" in failed and failed <= {"get_caller_identity", "check_user"}
    assert sandbox.calls() == []
    # Only failure alerts (one per task that failed), each with the one-line reason.
    assert sandbox.messages
    for alert in sandbox.messages:
        assert alert.startswith("FAILED: iam_user_offboarding / ")
        assert alert.endswith(f"(run {offboarding.run_id}) for IAM user departing: {TYPO_REASON}")
    assert holdings(iam, "departing") == before and has_login_profile(iam, "departing")

    sandbox.clear_messages()
    reconciliation = run_dag(
        "iam_stale_user_reconciliation", {"mode": "report", "aws_conn_ids": ["aws_default", "aws_typo"]}
    )

    assert reconciliation.state == "failed"
    assert reconciliation.task_states["notify_slack"] == "success"
    assert reconciliation.task_states["fail_on_account_errors"] == "failed"
    report = next(m for m in sandbox.messages if m.startswith("Stale IAM users"))
    assert "Account 123456789012 (aws_default): 1 user scanned, 1 stale, 0 exempt" in report
    assert "• departing: idle 200 days (" in report
    assert f"Account unknown (aws_typo) could not be scanned: {TYPO_REASON}" in report
    [report_file] = (tmp_path / "snapshots" / "reports" / "123456789012").glob("*.json")
    assert json.loads(report_file.read_text())["failed_accounts"] == [
        {"aws_conn_id": "aws_typo", "account": None, "error": TYPO_REASON}
    ]
    assert sandbox.messages[-1].startswith("FAILED: iam_stale_user_reconciliation / fail_on_account_errors")
    assert sandbox.messages[-1].endswith(f"aws_typo: {TYPO_REASON}")
