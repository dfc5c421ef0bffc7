"""What a changing task checks before its first call: the deployment's approval policy, and the signed approval
record of its run (or of the run that started it). Each case is one a person who may edit runs can bring about:
a task marked success, a task cleared after a rejection, a conf that asks for no approval, a forged record or
parent run, their own approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk.exceptions import AirflowFailException

from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.approval.policy import parse_policy
from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY, RECORD_KEY, sign, target, verify_for_change

KEY = "test-approval-signing-key"  # tests/conftest.py sets it as the Variable
ACCOUNT = "123456789012"
NOW = datetime.now(UTC)
USER = target(ACCOUNT, "u3", "AIDAU3")


class Records:
    """XComs by (dag_id, run_id, key), as ``ti.xcom_pull`` reads them."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str, str], object] = {}

    def xcom_pull(self, task_ids=None, dag_id=None, key="return_value", run_id=None, **kwargs):
        return self.store.get((dag_id, run_id, key))


class Dag:
    def __init__(self, dag_id: str) -> None:
        self.dag_id = dag_id


class DagRun:
    def __init__(self, conf: dict | None = None, user: str | None = "bob") -> None:
        self.conf, self.triggering_user_name, self.run_type = conf or {}, user, "manual"


def context(records: Records, dag_id="iam_user_offboarding", run_id="r1", conf=None, params=None, user="bob"):
    return {
        "ti": records,
        "dag": Dag(dag_id),
        "run_id": run_id,
        "dag_run": DagRun(conf, user),
        "params": params or {},
    }


def record(dag_id="iam_user_offboarding", run_id="r1", outcome="approved", approvers=("alice",), **extra) -> dict:
    at = extra.pop("at", NOW)
    body = {
        "dag_id": dag_id,
        "run_id": run_id,
        "change": "offboarding",
        "needed": 1,
        "requested_by": "bob",
        "approvals": [{"id": name, "name": name, "at": at.isoformat()} for name in approvers],
        "outcome": outcome,
        "phrase": f"{outcome} by alice",
        "targets": [USER],
    } | extra
    return sign(body, KEY)


def put(records: Records, value: dict, dag_id="iam_user_offboarding", run_id="r1") -> None:
    records.store[(dag_id, run_id, RECORD_KEY)] = value


@pytest.fixture
def every_change_needs_a_person(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_REQUIRE_APPROVAL", "true")


# ---- the policy ---------------------------------------------------------------------------------------------------


def test_absent_the_policy_asks_one_person_for_bulk_changes_and_restores_none_for_one_offboarding_or_revoke():
    policy = parse_policy(None)

    assert {change: policy.needed(change) for change in policy.approvers} == {
        "offboarding": 0,
        "revoke": 0,
        "disable": 1,
        "delete": 1,
        "organization": 1,
        "provisioning": 1,
    }
    assert (policy.valid_seconds, policy.requester_may_approve) == (86400, False)


def test_a_run_can_ask_for_an_approval_never_remove_one():
    policy = parse_policy('{"revoke": 0, "delete": 2}')

    assert policy.needed("revoke", asked=True) == 1
    assert policy.needed("delete", asked=False) == 2
    assert parse_policy(None, require_all="true").needed("offboarding", asked=False) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{", "is not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"offboard": 1}', "unknown key 'offboard'"),
        ('{"delete": -1}', "delete must be a number of approvers from 0 to 10"),
        ('{"delete": true}', "delete must be a number of approvers"),
        ('{"approval_valid_seconds": 1e15}', "approval_valid_seconds must be whole seconds"),
        ('{"requester_may_approve": "yes"}', "requester_may_approve must be true or false"),
    ],
)
def test_a_malformed_policy_is_refused_with_its_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_policy(raw)


def test_a_malformed_policy_fails_a_changing_task_before_any_change(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_POLICY", '{"offboarding": "one"}')

    with pytest.raises(AirflowFailException, match="offboarding must be a number .*; nothing was changed"):
        verify_for_change(context(Records()), "offboarding", USER)


# ---- this run's approval ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("every_change_needs_a_person")
def test_a_conf_asking_for_no_approval_does_not_lower_the_deployments():
    # The trigger said require_approval: false, and approve_changes was skipped (or marked success): no record.
    with pytest.raises(AirflowFailException, match="no approval was recorded .*; nothing was changed"):
        verify_for_change(context(Records(), params={"require_approval": False}), "offboarding", USER)


@pytest.mark.usefixtures("every_change_needs_a_person")
@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (None, "no approval was recorded by run r1 of iam_user_offboarding's approval task"),
        (record(outcome="rejected"), "was not approved \\(rejected by alice\\)"),
        (record(outcome="timed_out"), "was not approved"),
        ({**record(), "approvals": [{"id": "mallory", "name": "mallory", "at": NOW.isoformat()}]}, "not one its"),
        ({**record(), "signature": "0" * 64}, "is not one its approval task signed"),
        (sign(record(), "another deployment's key"), "is not one its approval task signed"),
        (record(run_id="r0"), "is for run r0 of iam_user_offboarding, not run r1"),
        (record(approvers=("bob",)), "approved by the person who requested it \\(bob\\)"),
        (record(approvers=()), "approved by 0 of the 1 people"),
        (record(targets=[target(ACCOUNT, "someone-else", None)]), "does not hold IAM user u3"),
        (record(targets=[target(ACCOUNT, "u3", "AIDAOTHER")]), "does not hold IAM user u3"),
    ],
    ids=[
        "marked-success",
        "cleared-after-reject",
        "cleared-after-timeout",
        "edited",
        "forged",
        "other-key",
        "other-run",
        "self-approval",
        "nobody",
        "other-user",
        "recreated-user",
    ],
)
def test_a_change_without_a_valid_approval_of_this_user_in_this_run_changes_nothing(stored, reason):
    records = Records()
    if stored is not None:
        put(records, stored)

    with pytest.raises(AirflowFailException, match=f"offboarding needs the approval of 1 .*{reason}.*nothing was"):
        verify_for_change(context(records), "offboarding", USER)


def test_a_restore_approved_in_one_account_does_not_create_the_user_in_another():
    # Provisioning in a member account: the approval names the account, and the creating task checks it.
    provisioning = {"dag_id": "iam_user_provisioning", "change": "provisioning"}
    records = Records()
    put(records, record(**provisioning, targets=[target(ACCOUNT, "u3", None)]), dag_id="iam_user_provisioning")
    run = context(records, dag_id="iam_user_provisioning")

    assert verify_for_change(run, "provisioning", target(ACCOUNT, "u3", None))["approved_by"] == ["alice"]
    with pytest.raises(
        AirflowFailException, match="does not hold IAM user u3 in account 210987654321; nothing was changed"
    ):
        verify_for_change(run, "provisioning", target("210987654321", "u3", None))


@pytest.mark.usefixtures("every_change_needs_a_person")
def test_an_approval_of_this_user_lets_the_change_go_on_and_names_the_people():
    records = Records()
    put(records, record())

    trail = verify_for_change(context(records), "offboarding", USER)

    assert (trail["requested_by"], trail["approved_by"]) == ("bob", ["alice"])
    assert trail["target"] == USER


def test_an_approver_not_listed_any_more_does_not_count(monkeypatch, every_change_needs_a_person):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVERS", '["carol"]')
    records = Records()
    put(records, record())

    with pytest.raises(AirflowFailException, match="approved by alice, not listed as approvers"):
        verify_for_change(context(records), "offboarding", USER)


def test_no_approval_needed_records_who_asked():
    trail = verify_for_change(context(Records(), user=None), "offboarding", USER)

    assert trail == {
        "requested_by": "unknown (no triggering user recorded)",
        "approved_by": [],
        "approval_run": None,
        "target": None,
    }


# ---- a run started after another run's approval --------------------------------------------------------------------

PARENT = {"dag_id": "iam_stale_user_reconciliation", "run_id": "p1"}


def started(records: Records, **conf) -> dict:
    return context(records, run_id="p1__offboard_stale_user_0", conf={APPROVAL_RUN_KEY: PARENT, **conf}, user=None)


def test_a_started_run_is_covered_by_its_parents_approval_of_this_user():
    records = Records()
    put(records, record(**PARENT, change="delete"), **PARENT)  # a delete-mode reconciliation's

    trail = verify_for_change(started(records), "offboarding", USER)

    assert (trail["requested_by"], trail["approved_by"], trail["approval_run"]) == ("bob", ["alice"], PARENT)


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        (None, "no approval was recorded by run p1 of iam_stale_user_reconciliation"),
        (record(**PARENT, change="delete", targets=[target(ACCOUNT, "stale-1", None)]), "does not hold IAM user u3"),
        (record(**PARENT, change="delete", targets=[target("210987654321", "u3", None)]), "does not hold IAM user u3"),
        (record(**PARENT, change="delete", at=NOW - timedelta(days=2)), "older than the policy's 86400 s"),
        (record(**PARENT, change="delete", outcome="rejected"), "was not approved"),
        (record(**PARENT, change="revoke"), "was for revoke, not delete or organization"),
    ],
    ids=["forged-parent", "not-in-the-plan", "other-account", "too-old", "rejected-parent", "a-revoke-approval"],
)
def test_a_started_run_whose_parent_did_not_approve_this_user_recently_changes_nothing(stored, reason):
    records = Records()
    if stored is not None:
        put(records, stored, **PARENT)

    with pytest.raises(AirflowFailException, match=f"{reason}.*nothing was changed"):
        verify_for_change(started(records), "offboarding", USER)


def test_a_malformed_parent_is_refused():
    conf = {APPROVAL_RUN_KEY: "iam_stale_user_reconciliation/p1"}

    with pytest.raises(AirflowFailException, match="conf approval_run must be"):
        verify_for_change(context(Records(), conf=conf), "offboarding", USER)


def test_the_signing_key_is_never_made_by_a_changing_task(monkeypatch):
    monkeypatch.delenv("AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_SECRET")
    monkeypatch.setattr("airflow.sdk.Variable.get", lambda key, default=None: default)

    assert approval_proof.signing_key() is None
