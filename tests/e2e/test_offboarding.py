"""The whole iam_user_offboarding DAG against a moto server process and a Slack stand-in."""

from __future__ import annotations

import pytest

from sandbox.seed import EVERYTHING, NOTHING, seed_user
from tests.fixtures.e2e import REQUESTED_BY, run_dag
from tests.helpers import holdings, user_exists

pytestmark = pytest.mark.e2e

#: The offboarding's tasks that change the user, each reading it again before its first call.
CHANGING_TASKS = {
    "contain_user",
    "delete_login_profile",
    "deactivate_access_keys",
    "detach_user_policy",
    "remove_user_items",
    "delete_user",
}


@pytest.mark.matrix  # the whole offboarding every environment of scripts/matrix.sh runs
def test_offboards_a_user_holding_everything_and_leaves_the_bystander(sandbox):
    iam = sandbox.iam
    held = seed_user(iam, "alice")
    seed_user(iam, "bob")
    bob_before = holdings(iam, "bob")
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "alice", "reason": "left the company"})

    assert result.state == "success", result.task_states
    assert not user_exists(iam, "alice")
    assert holdings(iam, "bob") == bob_before
    # The virtual MFA device is deleted, not just deactivated.
    serials = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert held["mfa_devices"][0] not in serials
    assert sandbox.messages == [
        f"IAM user alice deleted by arn:aws:sts::123456789012:user/moto, requested by {REQUESTED_BY}\n"
        "Removed: 12 managed policies, 2 inline policies, 3 group memberships, 2 access keys, 1 SSH public key, "
        "1 signing certificate, 1 service-specific credential, 1 MFA device, 1 login profile\n"
        "Reason: left the company\n"
        f"Snapshot: {result.xcom('take_snapshot')['uri']}"
    ]
    # Mapped detach tasks, one per policy.
    assert sum(1 for task in result.task_states if task.startswith("detach_user_policy[")) == 12


def test_iam_calls_are_one_list_per_kind_plus_one_per_item(sandbox):
    iam = sandbox.iam
    seed_user(iam, "alice")
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "alice"})

    actions = [c["action"] for c in sandbox.calls() if c["service"] == "iam"]
    lists = [a for a in actions if a.startswith("List")]
    # Each kind is listed once; the access keys once more, when sign-in is taken away (a key created since goes too).
    assert sorted(lists) == sorted([*set(lists), "ListAccessKeys"]), "a kind was listed more than that"
    removals = [a for a in actions if not a.startswith(("Get", "List"))]
    items = sum(EVERYTHING[k] for k in EVERYTHING if k != "login_profile") + 1  # + the login profile
    # One call per item, plus UpdateAccessKey per key (sign-in is taken away first), DeleteVirtualMFADevice per MFA
    # device, the deny policy put first and deleted just before DeleteUser, and DeleteUser.
    assert len(removals) == items + EVERYTHING["access_keys"] + EVERYTHING["mfa_devices"] + 2 + 1
    assert removals[0] == "PutUserPolicy" and removals[-2:] == ["DeleteUserPolicy", "DeleteUser"], "not contained"
    assert sorted(removals[1:4]) == ["DeleteLoginProfile", "UpdateAccessKey", "UpdateAccessKey"], "sign-in not first"
    # The reads besides listing: the user, checked, read again before the first change and by every task that
    # changes it (same UserId, not protected), and each inline policy's document for the snapshot.
    changing = [t for t in result.task_states if t.split("[")[0] in CHANGING_TASKS]
    assert sorted(a for a in actions if a.startswith("Get")) == sorted(
        ["GetUser"] * (2 + len(changing)) + ["GetLoginProfile"] + ["GetUserPolicy"] * EVERYTHING["inline_policies"]
    )


def test_offboards_a_user_holding_nothing(sandbox):
    seed_user(sandbox.iam, "carol", NOTHING)

    result = run_dag("iam_user_offboarding", {"user_name": "carol"})

    assert result.state == "success", result.task_states
    assert not user_exists(sandbox.iam, "carol")
    assert sandbox.messages == [
        f"IAM user carol deleted by arn:aws:sts::123456789012:user/moto, requested by {REQUESTED_BY}\n"
        "Removed: nothing\n"
        f"Snapshot: {result.xcom('take_snapshot')['uri']}"
    ]


def test_missing_user_fails_at_the_first_task_and_changes_nothing(sandbox):
    seed_user(sandbox.iam, "bob")
    sandbox.clear_calls()

    result = run_dag("iam_user_offboarding", {"user_name": "nobody"})

    assert result.state == "failed"
    assert result.task_states["check_user"] == "failed"
    assert result.task_states["delete_user"] == "upstream_failed"
    assert sandbox.mutating_calls() == []
    assert user_exists(sandbox.iam, "bob")
    [alert] = sandbox.messages
    assert alert.startswith("FAILED: iam_user_offboarding / check_user (run ")
    assert alert.endswith("for IAM user nobody: IAM user 'nobody' does not exist; nothing was changed.")
