"""Airflow's own run pages name whom a lifecycle run acted on and how it ended: the run note the listener writes
(``iam_lifecycle.ui.run_notes``), in the words of the history page. A note a person wrote is kept."""

from __future__ import annotations

import datetime

import pytest

from iam_lifecycle.ui import run_notes
from iam_lifecycle.ui.run_notes import ending, subject

OFFBOARDING, PROVISIONING = "iam_user_offboarding", "iam_user_provisioning"
DONE = {"delete_user": "success"}


def test_a_run_names_its_user_and_account_or_the_reconciliations_mode():
    assert subject(OFFBOARDING, {"user_name": "alice", "account_id": "210987654321"}) == (
        "Offboarding IAM user alice in 210987654321"
    )
    assert subject(OFFBOARDING, {"user_name": "alice", "dry_run": True}) == "Offboarding IAM user alice (dry run)"
    assert subject(PROVISIONING, {"snapshot": "s3://b/p/123456789012/alice/20261201T100005.000000Z.json"}) == (
        "Restoring IAM user alice"
    )
    assert subject(PROVISIONING, {"user_name": "newbie"}) == "Onboarding IAM user newbie"
    assert subject("iam_user_offboarding_organization", {"user_name": "alice"}) == (
        "Offboarding alice in every account of the organization"
    )
    assert subject("iam_stale_user_reconciliation", {"mode": "delete"}) == "Stale IAM users, mode delete"
    assert subject("someone_elses_dag", {"user_name": "alice"}) is None


@pytest.mark.parametrize(
    ("conf", "state", "answer", "states", "said"),
    [
        ({"user_name": "alice"}, "success", None, DONE, "deleted"),
        ({"user_name": "alice", "dry_run": True}, "success", None, {}, "dry run: nothing was changed"),
        ({"user_name": "alice"}, "success", {"approved": False, "by": "admin"}, {}, "rejected by admin: nothing was"),
        ({"user_name": "alice"}, "success", {"approved": False, "timed_out": True}, {}, "timed out: nobody answered"),
        ({"user_name": "alice"}, "failed", None, {"delete_user": "failed"}, "failed: delete_user failed"),
        ({"user_name": "alice"}, "success", None, {"delete_user": "skipped"}, "nothing changed: delete_user did not"),
    ],
    ids=["deleted", "dry-run", "rejected", "timed-out", "failed", "skipped"],
)
def test_an_offboarding_ends_as_the_history_says(conf, state, answer, states, said):
    assert ending(OFFBOARDING, conf, state, answer, states).startswith(said)


@pytest.fixture
def run(airflow_db):
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    def make(note: str | None = None) -> str:
        run_id = f"manual__notes-{datetime.datetime.now(datetime.UTC).timestamp()}"
        with create_session() as session:
            session.add(
                DagRun(
                    dag_id=OFFBOARDING,
                    run_id=run_id,
                    run_type="manual",
                    state="running",
                    conf={"user_name": "alice"},
                    run_after=datetime.datetime.now(datetime.UTC),
                    note=note,
                )
            )
        return run_id

    return make


def _through_the_listener(run_id: str, *hooks) -> str | None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        dag_run = session.query(DagRun).filter(DagRun.run_id == run_id).one()
        for hook, state in hooks:
            dag_run.state = state
            hook(dag_run=dag_run, msg="")
    with create_session() as session:
        return session.query(DagRun).filter(DagRun.run_id == run_id).one().note


def test_the_note_names_the_user_when_the_run_starts_and_says_how_it_ended(run):
    run_id = run()

    assert _through_the_listener(run_id, (run_notes.on_dag_run_running, "running")) == "Offboarding IAM user alice"
    assert _through_the_listener(run_id, (run_notes.on_dag_run_failed, "failed")) == (
        "Offboarding IAM user alice: failed: a task failed (its Slack alert says more)"
    )


def test_a_note_a_person_wrote_is_kept(run):
    from airflow.models.dagrun import DagRunNote
    from airflow.utils.session import create_session

    run_id = run()
    with create_session() as session:
        from airflow.models.dagrun import DagRun

        dag_run = session.query(DagRun).filter(DagRun.run_id == run_id).one()
        dag_run.dag_run_note = DagRunNote(content="INC-42: do not restore", user_id="admin")

    assert _through_the_listener(run_id, (run_notes.on_dag_run_success, "success")) == "INC-42: do not restore"
