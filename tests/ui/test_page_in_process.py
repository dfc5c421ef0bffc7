"""The IAM lifecycle page as Airflow's API server serves it, in process: Airflow's own app (``create_app``) with
the plugin mounted, the test metadata DB, and a snapshot store in a temporary folder.

What a person sees: who may see it (no token, 401; a bad one, 403; a viewer may read but not restore), and the
history of an offboarding with its requester, approver, reason and snapshot, the snapshot readable, and a restore
run requested as the signed-in user.
"""

from __future__ import annotations

import datetime
import json

import pytest

# One worker makes Airflow's app once for the module (about half a minute), instead of each worker making its own.
pytestmark = [pytest.mark.usefixtures("airflow_db"), pytest.mark.xdist_group("ui_in_process")]

ACCOUNT = "123456789012"
RUN_ID = "manual__2026-12-01T10:00:00+00:00"


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "snapshots"
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{root}")
    snapshot = {
        "version": 1,
        "taken_at": "2026-12-01T10:00:05+00:00",
        "run_id": RUN_ID,
        "caller_arn": f"arn:aws:sts::{ACCOUNT}:user/moto",
        "reason": "JIRA-123",
        "requested_by": "operator",
        "approved_by": "admin",
        "user": {
            "UserName": "alice",
            "UserId": "AIDAALICE",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "Path": "/",
            "CreateDate": "2026-01-01T00:00:00+00:00",
            "Tags": {"team": "data"},
            "PermissionsBoundary": None,
        },  # fmt: skip
        "groups": ["developers"],
        "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "inline_policies": {"s3-read": {"Version": "2012-10-17", "Statement": []}},
        "login_profile": True,
        "access_keys": [{"AccessKeyId": "AKIAALICE", "Status": "Active"}],
        "mfa_devices": [],
        "ssh_public_keys": [],
        "signing_certificates": [],
        "service_specific_credentials": [],
    }
    path = root / ACCOUNT / "alice" / "20261201T100005.000000Z.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(snapshot))
    return f"file://{path}"


@pytest.fixture
def offboarding_run():
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(DagRun).filter(DagRun.run_id == RUN_ID).delete()
        session.add(
            DagRun(
                dag_id="iam_user_offboarding",
                run_id=RUN_ID,
                run_type="manual",
                state="success",
                conf={"user_name": "alice", "reason": "JIRA-123"},
                run_after=datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC),
                triggering_user_name="operator",
            )
        )
    yield RUN_ID
    with create_session() as session:
        session.query(DagRun).filter(DagRun.dag_id.in_(["iam_user_offboarding", "iam_user_provisioning"])).delete()


@pytest.fixture(scope="module")
def client():
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    return TestClient(create_app())


def token(role: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=role.lower(), role=role))


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role)}"}


@pytest.mark.parametrize("path", ["/iam-lifecycle/", "/iam-lifecycle/history.json", "/iam-lifecycle/reports"])
def test_without_a_token_the_page_is_refused_and_with_a_forged_one_too(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer not.a.token"}).status_code == 403
    assert client.get(path, cookies={"_token": "not.a.token"}).status_code == 403


def test_restore_without_a_token_changes_nothing(client, store):
    answer = client.post("/iam-lifecycle/restore", json={"snapshot": store})

    assert answer.status_code == 401


def test_the_history_names_who_asked_who_approved_the_reason_and_the_snapshot(client, store, offboarding_run):
    answer = client.get("/iam-lifecycle/history.json", headers=bearer("VIEWER"))

    assert answer.status_code == 200
    [entry] = [e for e in answer.json()["entries"] if e["run_id"] == RUN_ID]
    assert (entry["user_name"], entry["account"], entry["action"]) == ("alice", ACCOUNT, "offboarding")
    assert (entry["requested_by"], entry["approved_by"], entry["reason"]) == ("operator", "admin", "JIRA-123")
    assert entry["snapshot"] == store
    # The page's table, signed in through the session cookie as the UI is.
    page = client.get("/iam-lifecycle/", cookies={"_token": token("VIEWER")}).text
    assert "alice" in page and "operator" in page and "admin" in page and "20261201T100005.000000Z.json" in page


def test_a_snapshot_reads_as_the_user_and_what_it_held(client, store, offboarding_run):
    page = client.get("/iam-lifecycle/snapshot", params={"uri": store}, headers=bearer("VIEWER"))

    assert page.status_code == 200
    for shown in ("alice", "team=data", "developers", "ReadOnlyAccess", "s3-read", "AKIAALICE", "JIRA-123"):
        assert shown in page.text
    assert "id='restore'" not in page.text  # a viewer may not trigger runs: no Restore button


def test_the_page_reads_nothing_outside_the_snapshot_store(client, store, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"user": {"UserName": "x"}}')

    answer = client.get("/iam-lifecycle/snapshot", params={"uri": f"file://{secret}"}, headers=bearer("ADMIN"))

    assert answer.status_code == 404


def test_a_viewer_may_not_restore(client, store):
    answer = client.post("/iam-lifecycle/restore", json={"snapshot": store}, headers=bearer("VIEWER"))

    assert answer.status_code == 403


@pytest.fixture
def identity_center_snapshot(store):
    """An Identity Center user's snapshot beside the IAM ones, as the organization's offboarding writes it."""
    from iam_lifecycle.identity_center.snapshot import KIND

    root = store.split("file://", 1)[1].split(f"/{ACCOUNT}/", 1)[0]
    document = {
        "kind": KIND,
        "identity_center_version": 1,
        "taken_at": "2026-12-01T10:00:06+00:00",
        "run_id": RUN_ID,
        "reason": "JIRA-123",
        "requested_by": "operator",
        "approved_by": "admin",
        "instance_arn": "arn:aws:sso:::instance/ssoins-1",
        "identity_store_id": "d-1",
        "user": {"UserName": "alice", "UserId": "u-1", "IdentityStoreId": "d-1"},
        "memberships": [],
        "assignments": [],
    }
    path = f"{root}/identity-center/d-1/alice/20261201T100006.000000Z.json"
    import pathlib

    pathlib.Path(path).parent.mkdir(parents=True)
    pathlib.Path(path).write_text(json.dumps(document))
    return f"file://{path}"


def test_restoring_an_identity_center_snapshot_asks_provisioning_for_it_by_its_own_param(
    client, identity_center_snapshot
):
    """Restore of an Identity Center user's snapshot: the run is asked for ``identity_center_snapshot``, as the
    signed-in user; as ``snapshot`` (an IAM user's) provisioning would refuse it."""
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    from tests.helpers import ROOT

    with create_session() as session:  # the DAG processor's bundle row, which the DAG's row refers to
        if not session.get(DagBundleModel, "dags-folder"):
            session.add(DagBundleModel(name="dags-folder"))
    sync_bag_to_db(DagBag(dag_folder=str(ROOT / "dags" / "iam_user_provisioning.py")), "dags-folder", None)
    answer = client.post("/iam-lifecycle/restore", json={"snapshot": identity_center_snapshot}, headers=bearer("ADMIN"))

    assert answer.status_code == 200, answer.text
    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.run_id == answer.json()["run_id"]).one()
        assert (run.conf, run.triggering_user_name) == ({"identity_center_snapshot": identity_center_snapshot}, "admin")
        session.delete(run)
