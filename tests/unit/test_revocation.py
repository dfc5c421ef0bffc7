"""Revoking unused credentials one by one (reconciliation mode ``revoke``): what is revocable, and what is revoked."""

from __future__ import annotations

import json

from iam_lifecycle.aws.credential_report import fetch_credential_report
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.messages.summaries import reconciliation_message
from iam_lifecycle.reconciliation import last_use, revocation
from iam_lifecycle.reconciliation.flow import find_in_account, plan_reconciliation
from iam_lifecycle.reconciliation.revocation import access_key_ids, prepare_revocation, unused_by_user
from iam_lifecycle.reconciliation.staleness import parse_credential_report, unused_credentials
from tests.e2e.test_containment import denies_everything
from tests.helpers import NOW, has_login_profile, set_dates_in_process, tags_of

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
    target = entry | {"aws_conn_id": "aws_default", "caller_arn": CALLER, "reason": "unused", "account": "123456789012"}

    prepared = prepare_revocation(target, "run-1")

    assert [key["id"] for key in prepared["access_keys"]] == [keys[1]["AccessKeyId"]]
    assert prepared["password"] is not None and prepared["left_alone"] == []
    assert prepared["snapshot_uri"].startswith(f"file://{tmp_path}/123456789012/dev/")
    assert iam.get_login_profile(UserName="dev")  # nothing revoked yet: that is the operators' job


# ---- what the plan relied on, checked again when the run acts (after the approval's wait) -------------------


def planned(mode: str) -> tuple[dict, list[dict]]:
    """The real plan of the in-process account (its credential report), and the targets the revocation gets."""
    plan = plan_reconciliation([find_in_account("aws_default", NOW, 90, [], poll_seconds=0)], mode, 10, "run-1")
    return plan, [{**target, "approved_by": "approver"} for target in plan["revoke"]]


def carry_out(plan: dict, targets: list[dict]) -> str:
    """What the DAG's tasks do after the approval, in order, and the Slack text they lead to."""
    prepared = [prepare_revocation(target, "run-1") for target in targets]
    results = list(prepared)
    for change in (revocation.deactivate_unused_keys, revocation.delete_unused_password, revocation.tag_disabled):
        results += [change(each, "run-1") for each in prepared]
    done, left_alone = revocation.what_was_done(plan, results)
    return "\n".join([reconciliation_message(done, {"123456789012": "s3://r"}, "run-1", 90), *left_alone])


def statuses(iam, name: str) -> list[str]:
    return [key["Status"] for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def test_revoke_leaves_alone_a_key_used_while_the_approval_waited_and_revokes_the_rest(
    iam, make_user, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("dev", 400, password=200, keys=[150, 150])
    plan, targets = planned("revoke")
    set_dates_in_process("dev", access_key_last_used=[NOW, None])  # key 1 signs a call after the plan
    used_key = iam.list_access_keys(UserName="dev")["AccessKeyMetadata"][0]["AccessKeyId"]

    text = carry_out(plan, targets)

    assert statuses(iam, "dev") == ["Active", "Inactive"] and not has_login_profile(iam, "dev")
    assert "Revoked in account 123456789012: 1 access key deactivated, 1 console password deleted" in text
    assert f"Left alone: dev (123456789012), access key 1: access key {used_key} used again since the plan" in text


def test_revoke_leaves_alone_a_password_used_between_the_snapshot_and_its_deletion(
    iam, make_user, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("dev", 400, password=200)
    plan, [target] = planned("revoke")
    prepared = prepare_revocation(target, "run-1")
    set_dates_in_process("dev", password_last_used=NOW)

    outcome = revocation.delete_unused_password(prepared, "run-1")

    assert has_login_profile(iam, "dev")
    assert outcome["done"] == [] and "console password used again since the plan" in outcome["left_alone"][0]["reason"]


def test_disable_leaves_alone_a_user_used_since_the_plan_and_disables_the_others(iam, make_user, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("came-back", 400, password=200, keys=[200])
    make_user("gone-for-good", 400, password=300, keys=[300])
    plan, targets = planned("disable")
    set_dates_in_process("came-back", password_last_used=NOW)  # signs in to the console during the wait

    text = carry_out(plan, targets)

    assert statuses(iam, "came-back") == ["Active"] and has_login_profile(iam, "came-back")
    assert "lifecycle:disabled-at" not in tags_of(iam, "came-back")
    assert not (tmp_path / "123456789012" / "came-back").exists()  # no snapshot: nothing to do
    assert statuses(iam, "gone-for-good") == ["Inactive"] and not has_login_profile(iam, "gone-for-good")
    assert "lifecycle:disabled-at" in tags_of(iam, "gone-for-good")
    assert "tagged lifecycle:disabled-at): gone-for-good (123456789012)" in text
    assert (
        "Left alone: came-back (123456789012): IAM user came-back is not stale any more: console password used "
        "again since the plan" in text
    )


def test_a_user_protected_while_the_approval_waited_is_left_alone_and_the_others_go_on(
    iam, make_user, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("break-glass", 400, password=200, keys=[200])
    make_user("dev", 400, password=300, keys=[300])
    plan, targets = planned("revoke")
    iam.tag_user(UserName="break-glass", Tags=[{"Key": "lifecycle:protected", "Value": "true"}])

    text = carry_out(plan, targets)

    assert statuses(iam, "break-glass") == ["Active"] and has_login_profile(iam, "break-glass")
    assert statuses(iam, "dev") == ["Inactive"] and not has_login_profile(iam, "dev")
    assert "Users whose unused credentials were revoked: dev" in text
    assert (
        "Left alone: break-glass (123456789012): IAM user break-glass is protected: it is tagged "
        "lifecycle:protected=true" in text
    )


def test_a_user_recreated_while_the_approval_waited_is_left_alone(iam, make_user, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("dev", 400, password=200)
    plan, [target] = planned("disable")
    iam.delete_login_profile(UserName="dev")
    iam.delete_user(UserName="dev")
    make_user("dev", 400, password=200)  # another person, same name and dates

    prepared = prepare_revocation(target, "run-1")

    assert has_login_profile(iam, "dev") and prepared["snapshot_uri"] is None
    assert "is not the user the plan checked" in prepared["left_alone"][0]["reason"]


def test_the_offboarding_check_of_delete_mode_refuses_a_user_used_since_the_plan(iam, make_user):
    make_user("dev", 400, password=200, keys=[200])
    plan, _ = planned("disable")
    [relied] = [entry["relied_on"] for entry in plan["accounts"][0]["stale"]]
    hook = IamHook(aws_conn_id="aws_default")

    assert last_use.offboarding_relied_on_reason(hook, "dev", relied) is None
    assert last_use.offboarding_relied_on_reason(hook, "dev", None) is None  # no plan: nothing relied on
    set_dates_in_process("dev", access_key_last_used=[NOW])

    reason = last_use.offboarding_relied_on_reason(hook, "dev", relied)
    assert (
        reason.startswith("IAM user dev is not stale any more: access key ") and "used again since the plan" in reason
    )


def test_disable_first_denies_the_user_every_action_and_leaves_the_denial_with_the_rest(
    iam, make_user, tmp_path, monkeypatch, iam_calls
):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    make_user("gone-for-good", 400, password=300, keys=[300])
    plan, targets = planned("disable")
    iam_calls.clear()

    carry_out(plan, targets)

    changes = [call for call in iam_calls if not call.startswith(("Get", "List"))]
    assert changes[0] == "PutUserPolicy" and changes.count("PutUserPolicy") == 1, changes
    assert denies_everything(iam, "gone-for-good"), "a disabled user can still act with its sessions"
    [snapshot_file] = (tmp_path / "123456789012" / "gone-for-good").glob("*.json")
    assert json.loads(snapshot_file.read_text())["inline_policies"] == {}
