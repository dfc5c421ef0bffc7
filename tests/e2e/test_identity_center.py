"""``iam_user_offboarding_organization`` and IAM Identity Center, whole runs (``dag.test``) on the sandbox moto
server, whose Identity Center answers as AWS's does (sandbox.identity_center: deletions IN_PROGRESS first, a gone
user's assignments undeletable, memberships gone with their user).

The person here has no IAM user in any account, only an Identity Center user: only a whole run shows the lookup,
the approval, the removal with its own check of the approval, the proof reading everything again, and the Slack
summary working together. (A person with IAM users triggers ``iam_user_offboarding`` runs, which ``dag.test``
does not execute: tests/e2e/test_organization.py runs those on the distributed stack.)
"""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.identity_center import person, removal
from iam_lifecycle.messages.summaries import verified_line
from sandbox.identity_center import INJECTED_FAILURE, Seed
from sandbox.seed import EVERYTHING, seed_user
from tests.e2e.test_organization import organization
from tests.fixtures.e2e import run_dag
from tests.helpers import holdings

pytestmark = pytest.mark.e2e
DAG_ID = "iam_user_offboarding_organization"
CHANGES = ("DeleteAccountAssignment", "DeleteGroupMembership", "DeleteUser", "Create")


@pytest.fixture
def world(sandbox):
    """An organization (dev, prod) and its Identity Center: alice with Admin in dev and ReadOnly in prod, and in
    engineers (which has Deploy in prod); bob, a bystander, in engineers with his own Admin in dev; an IAM
    bystander in dev."""
    accounts = organization(sandbox, "dev", "prod")
    center = Seed(sandbox.client("sso-admin"), sandbox.client("identitystore"))
    people = {"alice": center.user("alice"), "bob": center.user("bob")}
    admin, read_only, deploy = (center.permission_set(n) for n in ("Admin", "ReadOnly", "Deploy"))
    center.assign(accounts["dev"], admin, people["alice"])
    center.assign(accounts["prod"], read_only, people["alice"])
    center.assign(accounts["dev"], admin, people["bob"])
    engineers = center.group("engineers", people["alice"], people["bob"])
    center.assign(accounts["prod"], deploy, engineers, "GROUP")
    seed_user(sandbox.client("iam", accounts["dev"]), "staying", EVERYTHING)
    sandbox.set_faults({"identity_center": {"in_progress_polls": 1}})
    sandbox.clear_calls()
    return {"box": sandbox, "accounts": accounts, "center": center, "people": people, "engineers": engineers,
            "sets": {"admin": admin, "read_only": read_only, "deploy": deploy}}  # fmt: skip


def identity_center_changes(box) -> list[str]:
    return [
        c["action"] for c in box.calls() if c["service"] in ("sso", "identitystore") and c["action"].startswith(CHANGES)
    ]


def own(accounts: dict[str, str]) -> str:
    """alice's own assignments in words, in the order the package lists them (by account id)."""
    return ", ".join(sorted([f"Admin in {accounts['dev']}", f"ReadOnly in {accounts['prod']}"], key=lambda a: a[-12:]))


def summary_of(box) -> list[str]:
    [summary] = [m for m in box.messages if "ffboarding IAM user alice from organization" in m.split("\n")[0]]
    return summary.splitlines()


def test_the_person_is_removed_from_identity_center_and_the_proof_says_nothing_is_left(world, tmp_path):
    box, center, people, accounts = world["box"], world["center"], world["people"], world["accounts"]
    dev, prod = accounts["dev"], accounts["prod"]
    bystander = holdings(box.client("iam", dev), "staying")

    result = run_dag(DAG_ID, {"user_name": "alice", "reason": "JIRA-23", "organization_conn_id": "aws_default"})

    assert result.state == "success", result.task_states
    assert result.task_states["remove_from_identity_center"] == "success"
    # Gone, with its own assignments and its membership; bob, the group's own assignment and IAM untouched.
    assert center.user_id("alice") is None
    assert center.assignments(people["alice"]) == []
    assert center.memberships(world["engineers"]) == [people["bob"]]
    assert center.assignments(people["bob"]) == [(dev, world["sets"]["admin"])]
    assert center.assignments(world["engineers"], "GROUP") == [(prod, world["sets"]["deploy"])]
    assert holdings(box.client("iam", dev), "staying") == bystander
    # AWS's order: the assignments, then the membership, then the user.
    assert identity_center_changes(box) == ["DeleteAccountAssignment"] * 2 + ["DeleteGroupMembership", "DeleteUser"]
    assert box.mutating_calls() == []  # no IAM change: alice has no IAM user

    lines = summary_of(box)
    assert lines[1] == "Deleted in: none (approved by approver)"
    assert (
        f"Removed from Identity Center: user alice, 2 account assignments ({own(accounts)}), 1 group membership "
        f"(engineers (which gives Deploy in {prod})); snapshot file://{tmp_path}/snapshots/identity-center/"
        in "\n".join(lines)
    )
    assert verified_line("alice", {"accounts": 3, "identity_center": True, "left": []}) == [
        "Verified: no IAM user alice in any of 3 accounts, no Identity Center user"
    ]
    assert "Verified: no IAM user alice in any of 3 accounts, no Identity Center user" in lines
    [kept] = (tmp_path / "snapshots" / "identity-center" / center.store_id / "alice").glob("*.json")
    snapshot = json.loads(kept.read_text())
    assert (snapshot["requested_by"], snapshot["approved_by"]) == ("dag_test", "approver")
    assert len(snapshot["assignments"]) == 2 and snapshot["memberships"][0]["group_name"] == "engineers"


def test_a_failed_assignment_deletion_keeps_the_user_and_the_run_fails_saying_what_is_left(world):
    box, center, people, accounts = world["box"], world["center"], world["people"], world["accounts"]
    box.set_faults({"identity_center": {"in_progress_polls": 1, "fail_deletions": [1, 0]}})  # the first deletion
    first, then = own(accounts).split(", ")

    result = run_dag(DAG_ID, {"user_name": "alice", "organization_conn_id": "aws_default"})

    assert result.state == "failed", result.task_states
    assert (result.task_states["notify_slack"], result.task_states["fail_on_failed_accounts"]) == ("success", "failed")
    assert center.user_id("alice") == people["alice"]  # kept: its failed assignment can still be deleted
    kept = world["sets"]["admin" if first.startswith("Admin") else "read_only"]
    assert center.assignments(people["alice"]) == [(first[-12:], kept)]
    assert sorted(center.memberships(world["engineers"])) == sorted(people.values())
    lines = summary_of(box)
    assert (
        f"FAILED in Identity Center: user alice: the deletion of 1 account assignment(s) FAILED ({first}: "
        f"{INJECTED_FAILURE}); its group memberships and the user are kept (deleted: {then})" in lines
    )
    assert (
        f"NOT VERIFIED, left after the run: Identity Center user alice ({people['alice']}); Identity Center "
        f"assignment {first}" in lines
    )


def test_a_dry_run_lists_what_would_be_removed_and_changes_nothing(world):
    box, accounts = world["box"], world["accounts"]

    result = run_dag(DAG_ID, {"user_name": "alice", "organization_conn_id": "aws_default", "dry_run": True})

    assert result.state == "success", result.task_states
    assert identity_center_changes(box) == []
    plan = result.xcom("where_it_exists")["identity_center"]
    assert sorted(a["permission_set_name"] for a in plan["assignments"]) == ["Admin", "ReadOnly"]
    assert (
        f"Identity Center, plan posted, nothing changed: user alice: 2 account assignments ({own(accounts)}), 1 group "
        f"membership (engineers (which gives Deploy in {accounts['prod']}))" in summary_of(box)
    )
    assert not [line for line in summary_of(box) if "VERIFIED" in line.upper()]  # nothing to prove in a dry run


def test_iam_user_provisioning_restores_the_identity_center_user_from_its_snapshot(world, tmp_path, monkeypatch):
    box, center, people, accounts = world["box"], world["center"], world["people"], world["accounts"]
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}/snapshots")
    found = person.look_up({"user_name": "alice", "organization_conn_id": "aws_default", "identity_center": None})
    uri = removal.remove_person("aws_default", found, run_id="r", reason="", trail={}, poll_seconds=0)["snapshot_uri"]
    box.clear_calls()

    result = run_dag("iam_user_provisioning", {"identity_center_snapshot": uri})

    assert result.state == "success", result.task_states
    assert result.task_states["create_user"] == "skipped"  # no IAM user was asked for
    assert box.mutating_calls() == []
    user_id = center.user_id("alice")
    assert user_id and user_id != people["alice"]
    assert center.memberships(world["engineers"]) == sorted([people["bob"], user_id])
    assert center.assignments(user_id) == sorted(
        [(accounts["dev"], world["sets"]["admin"]), (accounts["prod"], world["sets"]["read_only"])]
    )
    [told] = [m for m in box.messages if m.startswith("IAM Identity Center user alice restored")]
    assert told.splitlines() == [
        f"IAM Identity Center user alice restored from {uri}, requested by dag_test, approved by approver",
        f"Groups: engineers; account assignments: {own(accounts)}",
    ]
