"""Every account of an AWS Organization, end to end on a moto server holding an organization of several accounts,
each reached through the member role assumed with the organization connection's credentials:

* ``iam_stale_user_reconciliation`` over the organization (``dag.test``): one mapped scan per account, the exact
  stale users of each, the cap over all accounts, disabling in the right account, an excluded account never
  called, an unreachable account (AssumeRole denied) reported while the others finish, and the run failed after
  reporting;
* ``iam_user_offboarding_organization`` (it triggers ``iam_user_offboarding`` runs and waits: on the distributed
  stack): the person offboarded in exactly the accounts where it existed, bystanders untouched everywhere,
  the excluded and the unreachable account, one summary with the proof, and the run failed because of the
  unreachable account (Identity Center: tests/e2e/test_identity_center.py).
"""

from __future__ import annotations

import json

import pytest

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY
from sandbox.control import SandboxControl
from sandbox.seed import EVERYTHING, ONE_OF_EACH, seed_user
from tests.fixtures.distributed import APPROVER, NOT_AN_APPROVER, ON_THE_STACK
from tests.fixtures.e2e import run_dag
from tests.helpers import has_login_profile, holdings, tags_of, user_exists

pytestmark = pytest.mark.e2e

MANAGEMENT = "123456789012"  # the sandbox's default credentials act in it: it creates the organization
ROLE = "IamLifecycleRole"
READS = ("Get", "List", "GenerateCredentialReport")


def organization(box: SandboxControl, *names: str) -> dict[str, str]:
    """An organization whose management account is the default one, with a member account per name: name -> id."""
    orgs = box.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    created = {}
    for name in names:
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        created[name] = status["AccountId"]
    return created


def key_statuses(iam, name: str) -> list[str]:
    return [k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]


def test_reconciliation_reads_every_account_through_its_role_and_reports_the_unreachable_one(sandbox, tmp_path):
    accounts = organization(sandbox, "dev", "prod", "retired", "broken")
    dev, prod, retired, broken = (accounts[name] for name in ("dev", "prod", "retired", "broken"))
    sandbox.make_user("mgmt-stale", 400, password=300)
    sandbox.make_user("shared-name", 400, account=dev, password=350, keys=[350])
    sandbox.make_user("dev-stale", 400, account=dev, keys=[250])
    sandbox.make_user("dev-active", 400, account=dev, password=1, keys=[1])
    sandbox.make_user("dev-protected", 400, account=dev, password=500, tags={"lifecycle:protected": "true"})
    sandbox.make_user("shared-name", 400, account=prod, password=1, keys=[1])
    sandbox.make_user("prod-stale", 400, account=prod, password=200, keys=[200])
    sandbox.make_user("prod-never-used", 150, account=prod, password="never")
    sandbox.make_user("retired-stale", 400, account=retired, password=600, keys=[600])
    sandbox.make_user("broken-stale", 400, account=broken, password=600)
    sandbox.set_faults({"deny_assume_role": [broken]})
    sandbox.clear_calls()

    result = run_dag(
        "iam_stale_user_reconciliation",
        {"mode": "disable", "max_users": 3, "organization_conn_id": "aws_default", "exclude_account_ids": [retired]},
    )

    # One scan per account but the excluded one; the unreachable one fails the run only after Slack was told.
    assert result.state == "failed", result.task_states
    scans = {k: v for k, v in result.task_states.items() if k.startswith("find_stale_users[")}
    assert sorted(scans.values()) == ["success"] * 4
    assert result.task_states["notify_slack"] == "success"
    assert result.task_states["fail_on_account_errors"] == "failed"
    plan = result.xcom("plan_reconciliation")
    assert {f["account"]: [u["user_name"] for u in f["stale"]] for f in plan["accounts"]} == {
        MANAGEMENT: ["mgmt-stale"],
        dev: ["shared-name", "dev-stale"],
        prod: ["prod-stale", "prod-never-used"],
    }
    assert {f["account"]: [u["user_name"] for u in f["exempt"]] for f in plan["accounts"]} == {
        MANAGEMENT: [],
        dev: ["dev-protected"],
        prod: [],
    }
    assert {f["account"]: f["caller_arn"].rsplit("/", 1)[0] for f in plan["accounts"]} == {
        account: f"arn:aws:sts::{account}:assumed-role/{ROLE}" for account in (MANAGEMENT, dev, prod)
    }
    [failed] = plan["failed"]
    assert (failed["account"], failed["account_name"]) == (broken, "broken")
    assert failed["error"].startswith("An error occurred (AccessDenied) when calling the AssumeRole operation")

    # The cap is over all accounts, and each user was disabled in its own account, through that account's role.
    assert [(c["user_name"], c["account"]) for c in plan["selected"]] == [
        ("shared-name", dev),
        ("mgmt-stale", MANAGEMENT),
        ("dev-stale", dev),
    ]
    dev_iam, prod_iam = sandbox.client("iam", dev), sandbox.client("iam", prod)
    assert key_statuses(dev_iam, "shared-name") == ["Inactive"] and not has_login_profile(dev_iam, "shared-name")
    assert key_statuses(prod_iam, "shared-name") == ["Active"] and has_login_profile(prod_iam, "shared-name")
    assert not has_login_profile(sandbox.iam, "mgmt-stale") and key_statuses(dev_iam, "dev-stale") == ["Inactive"]
    assert has_login_profile(prod_iam, "prod-stale") and "lifecycle:disabled-at" not in tags_of(prod_iam, "prod-stale")
    changed = sorted(
        (c["account"], c["action"], c["params"].get("UserName"))
        for c in sandbox.calls()
        if c["service"] == "iam" and not c["action"].startswith(READS)
    )
    assert changed == sorted(
        [
            (dev, "PutUserPolicy", "shared-name"),  # contain first: the deny-all policy
            (dev, "UpdateAccessKey", "shared-name"),
            (dev, "DeleteLoginProfile", "shared-name"),
            (dev, "TagUser", "shared-name"),
            (MANAGEMENT, "PutUserPolicy", "mgmt-stale"),
            (MANAGEMENT, "DeleteLoginProfile", "mgmt-stale"),
            (MANAGEMENT, "TagUser", "mgmt-stale"),
            (dev, "PutUserPolicy", "dev-stale"),
            (dev, "UpdateAccessKey", "dev-stale"),  # it has no console password: no DeleteLoginProfile
            (dev, "TagUser", "dev-stale"),
        ]
    )
    # The excluded account: not a single call; the unreachable one: only the denied AssumeRole, never recorded.
    assert [c for c in sandbox.calls() if c["account"] in (retired, broken)] == []
    assert sandbox.injected_faults() == {"AssumeRole:AccessDenied": 1}
    assert has_login_profile(sandbox.client("iam", retired), "retired-stale")

    message = sandbox.messages[-2]  # then the failure alert of fail_on_account_errors
    assert f"Account {dev} (dev, role {ROLE}): 4 users scanned, 2 stale, 1 exempt" in message
    assert f"Account {prod} (prod, role {ROLE}): 3 users scanned, 2 stale, 0 exempt" in message
    assert (
        f"Account {broken} (broken, role {ROLE}) could not be scanned: An error occurred (AccessDenied) when "
        "calling the AssumeRole operation" in message
    )
    assert retired not in message
    assert "fail_on_account_errors" in sandbox.messages[-1] and f"{broken} broken" in sandbox.messages[-1]
    for account in (MANAGEMENT, dev, prod):
        [report] = (tmp_path / "snapshots" / "reports" / account).glob("*.json")
        assert json.loads(report.read_text())["failed_accounts"] == [failed]


@ON_THE_STACK
def test_a_person_is_offboarded_in_exactly_the_accounts_where_it_exists(stack):
    accounts = organization(stack, "dev", "prod", "sandbox", "retired", "broken")
    dev, prod, retired, broken = (accounts[name] for name in ("dev", "prod", "retired", "broken"))
    for account in (MANAGEMENT, *accounts.values()):
        seed_user(stack.client("iam", account), "staying", EVERYTHING)
    for account in (dev, prod, retired, broken):
        seed_user(stack.client("iam", account), "departing", ONE_OF_EACH)
    bystanders = {
        account: holdings(stack.client("iam", account), "staying") for account in (MANAGEMENT, *accounts.values())
    }
    untouched = {account: holdings(stack.client("iam", account), "departing") for account in (retired, broken)}
    stack.set_faults({"deny_assume_role": [broken]})
    stack.clear_calls()
    try:
        # Requested by one user, approved by another (four eyes).
        run_id = stack.as_user(NOT_AN_APPROVER).trigger(
            {
                "user_name": "departing",
                "reason": "JIRA-12",
                "organization_conn_id": "aws_default",
                "exclude_account_ids": [retired],
            },
            dag_id="iam_user_offboarding_organization",
        )
        stack.wait_for_approval(APPROVAL_TASK_ID, run_id, dag_id="iam_user_offboarding_organization")
        stack.answer(run_id, "Approve", APPROVAL_TASK_ID, dag_id="iam_user_offboarding_organization")
        state = stack.wait_while_progressing(run_id, dag_id="iam_user_offboarding_organization")
    finally:
        stack.set_faults({})
    calls = stack.calls()  # before this test's own reads below

    tasks = stack.task_states(run_id, dag_id="iam_user_offboarding_organization")
    assert state == "failed", tasks
    assert sorted(v for k, v in tasks.items() if k.startswith("find_user[")) == ["success"] * 5
    assert [tasks[f"offboard_in_account[{i}]"] for i in range(2)] == ["success", "success"]
    assert (tasks["notify_slack"], tasks["fail_on_failed_accounts"]) == ("success", "failed")

    # Gone where it was (and reachable); still there in the excluded and the unreachable account.
    assert {account: user_exists(stack.client("iam", account), "departing") for account in accounts.values()} == {
        dev: False,
        prod: False,
        accounts["sandbox"]: False,
        retired: True,
        broken: True,
    }
    for account, held in untouched.items():
        assert holdings(stack.client("iam", account), "departing") == held, account
    for account, held in bystanders.items():
        assert holdings(stack.client("iam", account), "staying") == held, account
    changed = {
        (c["account"], c["params"].get("UserName"))
        for c in calls
        if c["service"] == "iam" and not c["action"].startswith(READS) and c["action"] != "DeleteVirtualMFADevice"
    }
    assert changed == {(dev, "departing"), (prod, "departing")}
    assert [c for c in calls if c["account"] == retired] == []

    # One iam_user_offboarding run per account where the user existed, through that account's role.
    runs = [
        r
        for r in stack.api("GET", "/dags/iam_user_offboarding/dagRuns?limit=100")["dag_runs"]
        if r["conf"].get("reason") == "JIRA-12"
    ]
    assert sorted((r["conf"]["account_id"], r["state"]) for r in runs) == sorted([(dev, "success"), (prod, "success")])
    assert {(r["conf"]["aws_conn_id"], r["conf"]["member_role_name"], r["conf"]["dry_run"]) for r in runs} == {
        ("aws_default", ROLE, False)
    }
    # Approved once for every account: each run names this one, whose signed approval its changing tasks check.
    parent = {"dag_id": "iam_user_offboarding_organization", "run_id": run_id}
    assert [r["conf"][APPROVAL_RUN_KEY] for r in runs] == [parent, parent]
    for account in (dev, prod):
        assert any(
            m.startswith(f"IAM user departing deleted by arn:aws:sts::{account}:assumed-role/{ROLE}/")
            and f", requested by {NOT_AN_APPROVER}, approved by {APPROVER}\n" in m
            for m in stack.messages
        )
        [snapshot] = (stack.home / "snapshots" / account / "departing").glob("*.json")
        kept = json.loads(snapshot.read_text())
        assert (kept["requested_by"], kept["approved_by"]) == (NOT_AN_APPROVER, APPROVER)

    [summary] = [m for m in stack.messages if m.startswith("Offboarding IAM user departing from organization")]
    labels = {account: f"{account} {name}" for name, account in accounts.items()} | {MANAGEMENT: f"{MANAGEMENT} master"}
    assert summary.splitlines()[:3] == [
        f"Offboarding IAM user departing from organization aws_default (run {run_id}): found in 2 accounts, "
        "absent from 2 accounts, failed in 1 account",
        f"Deleted in: {', '.join(sorted([labels[dev], labels[prod]]))} (approved by {APPROVER})",
        f"Absent from: {', '.join(sorted([labels[MANAGEMENT], labels[accounts['sandbox']]]))}",
    ]
    assert summary.splitlines()[3].startswith(
        f"FAILED in {labels[broken]}: could not look for the user: An error occurred (AccessDenied) when calling "
        "the AssumeRole operation"
    )
    # The organization's Identity Center has no user of that name; the proof could not read the unreachable account.
    assert summary.splitlines()[4].startswith("Identity Center: no user departing in identity store d-")
    assert summary.splitlines()[5].startswith(
        f"NOT VERIFIED, left after the run: {labels[broken]} could not be read: An error occurred (AccessDenied)"
    )
    assert summary.splitlines()[6:] == [f"Left out: {retired}", "Reason: JIRA-12", f"Requested by {NOT_AN_APPROVER}"]
