"""iam_lifecycle.offboarding.plan against in-process moto, held to AWS's DeleteUser rule."""

from __future__ import annotations

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException
from botocore.exceptions import ClientError

from iam_lifecycle import holdings, snapshots
from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.offboarding import user_deletion
from iam_lifecycle.provisioning.spec import spec_from_snapshot
from sandbox.seed import EVERYTHING, NOTHING, ONE_OF_EACH, PASSWORD, seed_user
from tests.e2e.test_containment import denies_everything
from tests.helpers import has_login_profile

CALLER = "arn:aws:sts::123456789012:user/moto"


def sorted_if_list(value):
    return sorted(value) if isinstance(value, list) else value


@pytest.fixture
def hook(aws):
    return IamHook(aws_conn_id="aws_default")


def delete(hook, name: str, user_id: str, recorded: list | None = None, **kwargs):
    recorded = [] if recorded is None else recorded

    def record(leftovers):
        recorded.append(leftovers)
        return f"addendum-{len(recorded)}"

    pin = offboarding.Pin(user_id, CALLER, [])
    return user_deletion.delete_user(hook, name, pin, record_leftovers=record, backoff_seconds=0, **kwargs)


def user_id(iam, name: str) -> str:
    return iam.get_user(UserName=name)["User"]["UserId"]


def test_lists_everything_a_user_holds(iam, hook):
    held = seed_user(iam, "alice")
    seed_user(iam, "bob")

    found = offboarding.list_holdings(hook, "alice")

    assert {kind: sorted_if_list(found[kind]) for kind in held} == {k: sorted_if_list(v) for k, v in held.items()}
    assert {k["Status"] for k in found["access_key_details"]} == {"Active"}
    assert set(EVERYTHING) == set(offboarding.DEPENDENCY_KINDS)


def test_removing_what_is_already_gone_is_recorded_not_raised(iam, hook):
    held = seed_user(iam, "alice", NOTHING | {"access_keys": 1})

    outcome = offboarding.remove_items(hook, "alice", "access_keys", held["access_keys"] + ["AKIAGONEGONEGONEGONE"])

    assert outcome == {"removed": held["access_keys"], "already_gone": ["AKIAGONEGONEGONEGONE"]}
    assert hook.list_access_keys("alice") == []


def test_sign_in_is_revoked_first_and_nothing_else(iam, hook):
    held = seed_user(iam, "alice")

    offboarding.revoke_sign_in(hook, "alice")

    after = offboarding.list_holdings(hook, "alice")
    assert after["login_profile"] is False
    assert {k["Status"] for k in after["access_key_details"]} == {"Inactive"}
    assert sorted(after["access_keys"]) == sorted(held["access_keys"])  # deactivated, not yet deleted
    assert after["mfa_devices"] == held["mfa_devices"]


def test_remove_all_then_delete_user_leaves_the_bystander(iam, hook):
    seed_user(iam, "alice")
    seed_user(iam, "bob")
    offboarding.remove_all(hook, "alice", offboarding.list_holdings(hook, "alice"))

    outcome = delete(hook, "alice", user_id(iam, "alice"))

    assert outcome["deleted"] and not outcome["leftovers"] and not outcome["gone_before"]
    assert hook.get_user("alice") is None
    assert offboarding.list_holdings(hook, "bob")["managed_policies"]


def test_delete_user_records_and_removes_what_appeared_since_listing(iam, hook):
    seed_user(iam, "alice", NOTHING)
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]  # added while the run went on
    recorded: list = []

    outcome = delete(hook, "alice", user_id(iam, "alice"), recorded)

    assert outcome["deleted"] is True
    assert outcome["leftovers"] == {"access_keys": [key]} and outcome["addenda"] == ["addendum-1"]
    assert recorded[0]["access_keys"] == [key]
    assert hook.get_user("alice") is None


def test_delete_user_gives_up_after_its_attempts(iam, hook, monkeypatch):
    seed_user(iam, "alice", NOTHING | {"access_keys": 1})
    monkeypatch.setattr(offboarding, "remove_all", lambda *args: None)  # cannot clean up

    with pytest.raises(ClientError, match="DeleteConflict"):
        delete(hook, "alice", user_id(iam, "alice"), attempts=2)
    assert hook.get_user("alice") is not None


def test_a_key_added_before_every_delete_user_leaves_a_user_that_cannot_sign_in(iam, hook):
    """A persistent adversary: before each DeleteUser attempt it adds an access key (and a password, once)."""
    seed_user(iam, "alice", NOTHING)
    adversary = boto3.client("iam", region_name="us-east-1")

    def add_sign_in(**kwargs):
        adversary.create_access_key(UserName="alice")
        if not has_login_profile(adversary, "alice"):
            adversary.create_login_profile(UserName="alice", Password=PASSWORD)

    hook.conn.meta.events.register("before-call.iam.DeleteUser", add_sign_in)

    with pytest.raises(ClientError, match="DeleteConflict"):
        delete(hook, "alice", user_id(iam, "alice"))

    keys = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert keys and {key["Status"] for key in keys} == {"Inactive"}, "the user left behind can sign in"
    assert not has_login_profile(iam, "alice")


def test_delete_user_that_is_gone_says_someone_else_did(aws, hook):
    assert delete(hook, "nobody", "AIDAGONE")["gone_before"] is True


def test_a_recreated_user_is_not_deleted(iam, hook):
    seed_user(iam, "alice", NOTHING)
    checked = user_id(iam, "alice")
    iam.delete_user(UserName="alice")
    iam.create_user(UserName="alice")

    with pytest.raises(AirflowFailException, match="not the user this run checked"):
        delete(hook, "alice", checked)
    assert hook.get_user("alice") is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [("lifecycle:protected", "true"), ("Lifecycle:Protected", "True"), ("LIFECYCLE:PROTECTED", "TRUE")],
)
def test_a_user_protected_during_the_run_is_not_deleted(iam, hook, key, value):
    seed_user(iam, "alice", NOTHING)
    iam.tag_user(UserName="alice", Tags=[{"Key": key, "Value": value}])

    with pytest.raises(AirflowFailException, match="is protected"):
        delete(hook, "alice", user_id(iam, "alice"))
    assert hook.get_user("alice") is not None


def test_virtual_mfa_left_deactivated_by_an_interrupted_run_is_deleted(iam, hook):
    held = seed_user(iam, "alice", NOTHING | {"mfa_devices": 1})
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=held["mfa_devices"][0])

    outcome = offboarding.remove_items(hook, "alice", "mfa_devices", held["mfa_devices"])

    assert outcome["removed"] == held["mfa_devices"]
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_a_conflict_from_eventual_consistency_is_retried_until_deleted(iam, hook):
    """IAM may still see a just-removed login profile: DeleteConflict with nothing left to remove."""
    seed_user(iam, "alice", NOTHING)
    conflicts = [1]

    def conflict_once(**kwargs):
        if conflicts:
            conflicts.pop()
            error = {"Error": {"Code": "DeleteConflict", "Message": "must remove login profile first"}}
            return type("Answer", (), {"status_code": 409})(), error | {"ResponseMetadata": {}}
        return None

    hook.conn.meta.events.register("before-call.iam.DeleteUser", conflict_once)

    outcome = delete(hook, "alice", user_id(iam, "alice"))

    assert outcome["deleted"] is True and outcome["leftovers"] == {} and conflicts == []
    assert hook.get_user("alice") is None


@pytest.mark.parametrize(
    ("first_attempt", "outcome"),
    [
        # Applied, its answer lost (a 500): the retry's NoSuchEntity confirms this run deleted the user.
        ({"lose": {"DeleteUser": [1]}}, {"deleted": True, "confirmed_by_retry": True, "gone_before": False}),
        # Throttled, so not applied; another run deletes the user before the retry: it was not this run.
        (
            {
                "fail": {"DeleteUser": ["Throttling", 1]},
                "before": {"DeleteUser": {"requests": [{"Action": "DeleteUser", "UserName": "alice"}]}},
            },
            {"deleted": False, "confirmed_by_retry": False, "gone_before": True},
        ),
        # Applied, then the connection dropped with no HTTP answer at all: as good as a lost answer.
        ({"drop": {"DeleteUser": [1]}}, {"deleted": True, "confirmed_by_retry": True, "gone_before": False}),
    ],
    ids=["answer-lost", "throttled-then-deleted-by-another", "connection-dropped-after-apply"],
)
def test_a_retried_delete_user_that_finds_the_user_gone_claims_it_only_if_an_attempt_may_have_applied(
    sandbox, first_attempt, outcome
):
    seed_user(sandbox.iam, "alice", NOTHING)
    checked = user_id(sandbox.iam, "alice")
    sandbox.set_faults(first_attempt)

    result = delete(IamHook(aws_conn_id="aws_default"), "alice", checked)

    assert sum(sandbox.injected_faults().values()) == 1
    assert {key: result[key] for key in outcome} == outcome


def test_with_a_tenth_of_every_iam_call_throttled_the_user_is_listed_whole_and_deleted(sandbox):
    """Reads as well as changes: the client retries them (aws.base.DEFAULT_RETRIES), nothing is skipped."""
    seed_user(sandbox.iam, "alice", ONE_OF_EACH)
    seed_user(sandbox.iam, "bob", ONE_OF_EACH)
    hook = IamHook(aws_conn_id="aws_default")
    expected, bystander = offboarding.list_holdings(hook, "alice"), offboarding.list_holdings(hook, "bob")
    checked = user_id(sandbox.iam, "alice")
    sandbox.set_faults({"throttle_fraction": 0.1, "seed": 7})

    # A hook each, as each task of a run has its own client.
    listed = offboarding.list_holdings(IamHook(aws_conn_id="aws_default"), "alice")
    offboarding.remove_all(IamHook(aws_conn_id="aws_default"), "alice", listed)
    outcome = delete(IamHook(aws_conn_id="aws_default"), "alice", checked)

    throttled = sandbox.injected_faults()
    sandbox.set_faults({})
    reads = [key for key in throttled if key.startswith(("List", "Get"))]
    assert reads and len(reads) < len(throttled), throttled
    assert listed == expected
    assert outcome["deleted"] is True and outcome["leftovers"] == {}
    assert hook.get_user("alice") is None
    assert offboarding.list_holdings(hook, "bob") == bystander


# ---- contain first: one inline policy denies the user every action until just before DeleteUser ------------------


def denied_everything(iam, name: str) -> bool:
    """Whether the user holds the run's deny-all inline policy (read with a client of the test's own)."""
    return denies_everything(iam, name, holdings.CONTAINMENT_POLICY)


def test_a_contained_user_holds_nothing_more_and_a_clean_up_keeps_it_contained(iam, hook):
    held = seed_user(iam, "alice", NOTHING | {"inline_policies": 1, "access_keys": 1})

    offboarding.contain(hook, "alice")

    listed = offboarding.list_holdings(hook, "alice")
    assert listed["inline_policies"] == held["inline_policies"], "the run's deny policy is listed as held"
    offboarding.remove_all(hook, "alice", listed)
    assert denied_everything(iam, "alice"), "a clean-up removed the deny policy"


def test_delete_user_removes_the_deny_policy_just_before_and_deletes_the_user(iam, hook):
    seed_user(iam, "alice", NOTHING)
    offboarding.contain(hook, "alice")

    outcome = delete(hook, "alice", user_id(iam, "alice"))

    assert outcome["deleted"] is True and outcome["leftovers"] == {}
    assert hook.get_user("alice") is None


def test_a_delete_user_that_gives_up_leaves_the_user_denied_everything(iam, hook):
    seed_user(iam, "alice", NOTHING)
    offboarding.contain(hook, "alice")
    adversary = boto3.client("iam", region_name="us-east-1")
    hook.conn.meta.events.register(
        "before-call.iam.DeleteUser", lambda **kwargs: adversary.create_access_key(UserName="alice") and None
    )

    with pytest.raises(ClientError, match="DeleteConflict"):
        delete(hook, "alice", user_id(iam, "alice"))

    assert denied_everything(iam, "alice"), "the user left behind can act again"


def test_a_snapshot_taken_of_a_contained_user_has_no_deny_policy(iam, hook, monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    seed_user(iam, "alice", NOTHING | {"inline_policies": 1})
    offboarding.contain(hook, "alice")
    checked = user_as_data(hook.get_user("alice"))

    uri = snapshots.write_user_snapshot(
        hook, checked, offboarding.list_holdings(hook, "alice"), caller_arn=CALLER, run_id="r", reason=""
    )

    snapshot = snapshots.read_snapshot(uri)
    assert list(snapshot["inline_policies"]) == ["inline-0"]
    assert holdings.CONTAINMENT_POLICY not in spec_from_snapshot(snapshot)["inline_policies"]
