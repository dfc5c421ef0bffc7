"""Snapshot documents and their store."""

from __future__ import annotations

import asyncio
import datetime
import json

import pytest
from airflow.sdk import ObjectStoragePath

from iam_lifecycle.snapshots import build_snapshot, earlier_snapshots, read_snapshot, storage_root, write_snapshot
from tests.helpers import set_connection

USER = {
    "UserName": "alice",
    "UserId": "AIDAEXAMPLE",
    "Arn": "arn:aws:iam::123456789012:user/alice",
    "Path": "/",
    "CreateDate": "2026-01-01T00:00:00+00:00",
    "Tags": {"team": "data"},
    "PermissionsBoundary": None,
}
HOLDINGS = {
    "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    "inline_policies": ["p"],
    "groups": ["g"],
    "access_keys": ["AKIA1"],
    "access_key_details": [{"AccessKeyId": "AKIA1", "Status": "Active", "CreateDate": "2026-01-02T00:00:00+00:00"}],
    "ssh_public_keys": [],
    "signing_certificates": [],
    "service_specific_credentials": [],
    "mfa_devices": [],
    "login_profile": True,
}


def snapshot(taken_at=datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)):
    return build_snapshot(
        USER,
        HOLDINGS,
        {"p": {"Version": "2012-10-17"}},
        run_id="manual__1",
        caller_arn="arn:aws:sts::123456789012:assumed-role/airflow/x",
        reason="JIRA-1",
        taken_at=taken_at,
    )


def test_written_under_account_user_and_timestamp_and_read_back(tmp_path):
    uri = write_snapshot(snapshot(), ObjectStoragePath(f"file://{tmp_path}/snaps"))

    assert uri == f"file://{tmp_path}/snaps/123456789012/alice/20261128T120000.000000Z.json"
    assert read_snapshot(uri) == snapshot()
    assert read_snapshot(uri)["access_keys"][0] == {
        "AccessKeyId": "AKIA1",
        "Status": "Active",
        "CreateDate": "2026-01-02T00:00:00+00:00",
    }


def test_earlier_snapshots_are_those_of_the_same_user_id_oldest_first(tmp_path):
    root = ObjectStoragePath(f"file://{tmp_path}/snaps")
    first = write_snapshot(snapshot(datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)), root)
    second = write_snapshot(snapshot(datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)), root)
    namesake = snapshot(datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC))
    namesake["user"] = namesake["user"] | {"UserId": "AIDAANOTHERALICE"}  # an earlier user of the same name
    write_snapshot(namesake, root)
    addendum = snapshot(datetime.datetime(2026, 11, 2, 1, tzinfo=datetime.UTC)) | {"addendum_to": second}
    write_snapshot(addendum, root)
    latest = write_snapshot(snapshot(), root)

    assert earlier_snapshots(root, USER, before=latest) == [first, second]
    assert earlier_snapshots(root, USER | {"UserName": "bob"}, before=latest) == []


def test_root_defaults_under_airflow_home_and_expands_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", raising=False)
    assert str(storage_root()) == f"file://{tmp_path}/iam-lifecycle/snapshots"
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", "file://$AIRFLOW_HOME/elsewhere")
    assert str(storage_root()) == f"file://{tmp_path}/elsewhere"


def test_an_unwritable_store_raises(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        write_snapshot(snapshot(), ObjectStoragePath(f"file://{tmp_path}/file"))


def test_reading_something_else_is_refused(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not an iam-lifecycle snapshot"):
        read_snapshot(f"file://{tmp_path}/x.json")


def test_an_s3_store_goes_where_its_connection_says_or_nowhere(monkeypatch):
    # Airflow quietly falls back to an S3 filesystem without the connection (AWS's own endpoint and the ambient
    # credentials) when it cannot make the connection's; here, as inside any running event loop, it cannot.
    from airflow.sdk.io.store import _STORE_CACHE

    set_connection(
        monkeypatch,
        "aws_default",
        "aws",
        login="AKIA",
        password="secret",
        extra={"region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9"},
    )
    _STORE_CACHE.clear()
    assert storage_root("s3://snapshots/prod").fs.endpoint_url == "http://127.0.0.1:9"
    _STORE_CACHE.clear()

    async def inside_a_running_loop():
        return storage_root("s3://snapshots/prod")

    with pytest.raises(OSError, match="s3://snapshots/prod cannot be reached through connection aws_default"):
        asyncio.run(inside_a_running_loop())
    _STORE_CACHE.clear()
