"""No secret leaks: task logs, XComs, snapshots and Slack bodies of full runs hold none of the seeded secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.seed import EVERYTHING, PASSWORD, seed_user
from tests.conftest import AIRFLOW_HOME
from tests.fixtures.e2e import run_dag

pytestmark = pytest.mark.e2e


def all_xcoms(run_ids: list[str]) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(XComModel).filter(XComModel.run_id.in_(run_ids)).all()
        return json.dumps([XComModel.deserialize_value(row) for row in rows], default=str)


def test_no_secret_appears_in_logs_xcoms_snapshots_or_slack(sandbox, capfd, tmp_path):
    iam = sandbox.iam
    seed_user(iam, "alice", EVERYTHING | {"access_keys": 0, "service_specific_credentials": 0})
    secrets = [PASSWORD, "sandbox-token"]  # the seeded password and the Slack webhook's token
    for _ in range(2):
        secrets.append(iam.create_access_key(UserName="alice")["AccessKey"]["SecretAccessKey"])
    credential = iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")
    secrets.append(credential["ServiceSpecificCredential"]["ServicePassword"])
    log_files_before = set(Path(AIRFLOW_HOME).rglob("*.log"))

    offboarded = run_dag("iam_user_offboarding", {"user_name": "alice", "reason": "secret scan"})
    restored = run_dag(
        "iam_user_provisioning", {"snapshot": offboarded.xcom("take_snapshot")["uri"], "console_access": True}
    )

    assert offboarded.state == restored.state == "success"
    secret_arn = restored.xcom("create_login_profile")["secret_arn"]
    secrets.append(sandbox.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    captured = capfd.readouterr()
    new_logs = "".join(p.read_text(errors="replace") for p in set(Path(AIRFLOW_HOME).rglob("*.log")) - log_files_before)
    places = {
        "task logs": captured.out + captured.err + new_logs,
        "XComs": all_xcoms([offboarded.run_id, restored.run_id]),
        "snapshots": "".join(p.read_text() for p in (tmp_path / "snapshots").rglob("*.json")),
        "Slack": json.dumps(sandbox.messages),
    }
    assert "IAM user alice deleted by" in places["task logs"]  # the logs were captured at all
    # Deleted, the restore's approval asked, restored.
    assert places["snapshots"] and len(sandbox.messages) == 3
    for place, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:4]}…) leaked into {place}"
