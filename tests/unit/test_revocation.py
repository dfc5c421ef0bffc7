"""Revoking unused credentials one by one (reconciliation mode ``revoke``): what is revocable, and what is revoked."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.credential_report import fetch_credential_report
from iam_lifecycle.hooks import IamHook
from iam_lifecycle.revocation import access_key_ids, prepare_revocation, unused_by_user
from iam_lifecycle.staleness import parse_credential_report, unused_credentials
from tests.helpers import NOW

CALLER = "arn:aws:iam::123456789012:user/automation"


def credential(user: str, name: str, idle_days: int, created: str = "2026-01-01T00:00:00+00:00") -> dict:
    return {"user_name": user, "arn": f"arn:aws:iam::123456789012:user/{user}", "credential": name,
            "created": created, "last_used": None, "idle_days": idle_days}  # fmt: skip


def listed(name: str, tags: dict | None = None) -> dict:
    return {"UserName": name, "Arn": f"arn:aws:iam::123456789012:user/{name}", "Tags": tags or {}}


def test_unused_credentials_are_grouped_by_user_and_protected_users_are_exempt():
    unused = {
        "unused": [
            credential("dev", "access_key_2", 120),
            credential("dev", "password", 300),
            credential("break-glass", "password", 400),
            credential("ghost", "password", 100),
        ],
        "not_judged": [{"user_name": "fresh", "reason": "created within the last 4 hours"}],
    }
    users = [listed("dev"), listed("break-glass"), listed("fresh")]

    split = unused_by_user(unused, users, CALLER, ["break-glass"])

    assert [(e["user_name"], e["idle_days"], len(e["credentials"])) for e in split["revocable"]] == [("dev", 300, 2)]
    assert [e["user_name"] for e in split["exempt"]] == ["break-glass"]
    assert "matches 'break-glass'" in split["exempt"][0]["reason"]
    assert [n["user_name"] for n in split["not_judged"]] == ["fresh", "ghost"]


def test_only_the_unused_active_keys_are_named_by_id():
    keys = [
        {"AccessKeyId": "AKIANEWER", "Status": "Active", "CreateDate": "2026-01-01T00:00:00.123000+00:00"},
        {"AccessKeyId": "AKIAOLDER", "Status": "Active", "CreateDate": "2025-06-01T10:00:00+00:00"},
    ]
    slot_1 = credential("dev", "access_key_1", 200, created="2025-06-01T10:00:00+00:00")
    replaced = credential("dev", "access_key_2", 300, created="2025-05-01T10:00:00+00:00")

    assert access_key_ids([slot_1, replaced, credential("dev", "password", 300)], keys) == ["AKIAOLDER"]
    keys[1]["Status"] = "Inactive"  # deactivated since the report
    assert access_key_ids([slot_1], keys) == []


def test_prepare_revocation_resolves_ids_from_the_real_report_and_snapshots_first(
    iam, make_user, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("dev", 400, password=200, keys=[1, 150])
    report = parse_credential_report(fetch_credential_report(IamHook(aws_conn_id="aws_default"), poll_seconds=0))
    [entry] = unused_by_user(unused_credentials(report, NOW, 90), [listed("dev")], CALLER, [])["revocable"]
    keys = iam.list_access_keys(UserName="dev")["AccessKeyMetadata"]
    target = entry | {"aws_conn_id": "aws_default", "caller_arn": CALLER, "reason": "unused"}

    prepared = prepare_revocation(target, "run-1")

    assert prepared["access_key_ids"] == [keys[1]["AccessKeyId"]]
    assert prepared["delete_password"] is True
    assert prepared["snapshot_uri"].startswith(f"file://{tmp_path}/123456789012/dev/")
    assert iam.get_login_profile(UserName="dev")  # nothing revoked yet: that is the operators' job


def test_a_user_protected_since_the_report_is_refused(iam, make_user, monkeypatch):
    make_user("dev", 400, password=200, tags={"lifecycle:protected": "true"})
    target = {"user_name": "dev", "aws_conn_id": "aws_default", "caller_arn": CALLER, "reason": "unused",
              "credentials": [credential("dev", "password", 200)]}  # fmt: skip

    with pytest.raises(AirflowFailException, match="is protected.*nothing was changed"):
        prepare_revocation(target, "run-1")
