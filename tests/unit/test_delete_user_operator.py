"""DeleteUserOperator as a retried task runs it: what its earlier tries removed and recorded is still reported."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from iam_lifecycle import snapshots
from iam_lifecycle.aws.iam_hook import IamHook, user_as_data
from iam_lifecycle.holdings import CONTAINMENT_POLICY
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.operators.offboarding import DeleteUserOperator
from sandbox.seed import NOTHING, seed_user

CALLER = "arn:aws:sts::123456789012:user/moto"


def _denied(**kwargs):
    error = {"Error": {"Code": "AccessDenied", "Message": "denied"}, "ResponseMetadata": {}}
    return type("Answer", (), {"status_code": 403})(), error


def _alice_with_snapshot(iam, monkeypatch, tmp_path):
    """alice, checked and snapshotted by run r; her hook, and a maker of the run's delete_user tries."""
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    seed_user(iam, "alice", NOTHING)
    hook = IamHook(aws_conn_id="aws_default")
    checked = user_as_data(hook.get_user("alice"))
    listed = offboarding.list_holdings(hook, "alice")
    snapshot_uri = snapshots.write_user_snapshot(hook, checked, listed, caller_arn=CALLER, run_id="r", reason="")

    def operator() -> DeleteUserOperator:
        return DeleteUserOperator(
            task_id="delete_user", user_name="alice", user=checked, caller_arn=CALLER, snapshot_uri=snapshot_uri
        )

    return hook, operator


def test_a_retried_delete_user_names_the_addenda_of_its_earlier_tries(iam, monkeypatch, tmp_path):
    hook, try_ = _alice_with_snapshot(iam, monkeypatch, tmp_path)
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]  # added during the run

    # The first try conflicts on the key, records it in an addendum and removes it; its next DeleteUser is denied.
    first, attempts = try_(), []
    first.hook.conn.meta.events.register(
        "before-call.iam.DeleteUser", lambda **kwargs: _denied() if attempts.append(1) or len(attempts) == 2 else None
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        first.execute(context={"run_id": "r"})

    outcome = try_().execute(context={"run_id": "r"})

    assert outcome["deleted"] is True and hook.get_user("alice") is None
    [addendum] = outcome["addenda"]
    assert snapshots.read_snapshot(addendum)["addendum_to"] == try_().snapshot_uri
    assert outcome["leftovers"] == {"access_keys": [key]}


class WorkerLost(BaseException):
    """The worker's process dies: nothing after this point of the try runs or is recorded."""


class Try:
    def __init__(self, try_number: int) -> None:
        self.try_number = try_number


def _dies(**kwargs):
    raise WorkerLost


def test_a_try_whose_worker_died_after_its_delete_user_leaves_the_deletion_to_this_run(iam, monkeypatch, tmp_path):
    hook, operator = _alice_with_snapshot(iam, monkeypatch, tmp_path)
    first = operator()
    first.hook.conn.meta.events.register("after-call.iam.DeleteUser", _dies)  # applied; the answer dies with it
    with pytest.raises(WorkerLost):
        first.execute(context={"run_id": "r", "ti": Try(1)})
    assert hook.get_user("alice") is None

    outcome = operator().execute(context={"run_id": "r", "ti": Try(2)})

    assert (outcome["deleted"], outcome["sent_by_earlier_try"], outcome["gone_before"]) == (True, True, False)


def test_a_try_that_died_before_sending_delete_user_does_not_claim_someone_elses_deletion(iam, monkeypatch, tmp_path):
    hook, operator = _alice_with_snapshot(iam, monkeypatch, tmp_path)
    first = operator()
    first.hook.conn.meta.events.register("before-call.iam.GetUser", _dies)  # before its DeleteUser
    with pytest.raises(WorkerLost):
        first.execute(context={"run_id": "r", "ti": Try(1)})
    iam.delete_user(UserName="alice")  # someone else

    outcome = operator().execute(context={"run_id": "r", "ti": Try(2)})

    assert (outcome["deleted"], outcome["sent_by_earlier_try"], outcome["gone_before"]) == (False, False, True)


def test_a_delete_sent_record_that_cannot_be_written_leaves_the_user_contained(iam, monkeypatch, tmp_path):
    hook, operator = _alice_with_snapshot(iam, monkeypatch, tmp_path)
    offboarding.contain(hook, "alice")

    def unwritable(*args, **kwargs):
        raise PermissionError("the store refuses the write")

    monkeypatch.setattr(snapshots, "mark_delete_sent", unwritable)
    with pytest.raises(PermissionError):
        operator().execute(context={"run_id": "r", "ti": Try(1)})

    assert hook.get_user("alice") is not None
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == [CONTAINMENT_POLICY]


def test_a_try_whose_delete_user_was_refused_does_not_claim_someone_elses_deletion(iam, monkeypatch, tmp_path):
    hook, operator = _alice_with_snapshot(iam, monkeypatch, tmp_path)
    first = operator()
    first.hook.conn.meta.events.register("before-call.iam.DeleteUser", _denied)  # AWS answers: not applied
    with pytest.raises(ClientError, match="AccessDenied"):
        first.execute(context={"run_id": "r", "ti": Try(1)})
    iam.delete_user(UserName="alice")  # someone else, before a person clears the task

    outcome = operator().execute(context={"run_id": "r", "ti": Try(2)})

    assert (outcome["deleted"], outcome["sent_by_earlier_try"], outcome["gone_before"]) == (False, False, True)
