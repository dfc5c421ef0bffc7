"""The page's snapshot store on S3 (``s3://bucket/prefix`` through ``aws_default``), on the sandbox's moto server:
the index finds what the tasks wrote there, snapshots and reports apart, addenda and other files left out, and
reads a document back whole."""

from __future__ import annotations

import datetime
import json

import pytest

from iam_lifecycle import snapshots
from iam_lifecycle.ui.store import StoreIndex, read_document
from tests.fixtures.e2e import forget_object_stores

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
USER = {
    "UserName": "alice",
    "UserId": "AIDAALICE",
    "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "Path": "/",
    "CreateDate": "2026-01-01T00:00:00+00:00",
    "Tags": {},
    "PermissionsBoundary": None,
}
NOTHING_HELD = {
    "managed_policies": [], "inline_policies": [], "groups": ["developers"], "access_keys": [],
    "access_key_details": [], "ssh_public_keys": [], "signing_certificates": [], "service_specific_credentials": [],
    "mfa_devices": [], "login_profile": False,
}  # fmt: skip


def test_the_index_reads_snapshots_and_reports_written_to_s3(sandbox):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket="iam-snapshots")
    forget_object_stores()  # the store is made from this test's connection
    root = snapshots.storage_root("s3://iam-snapshots/prod")
    taken = datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)
    document = snapshots.build_snapshot(
        USER, NOTHING_HELD, {}, run_id="manual__1", caller_arn="arn:aws:sts::123456789012:user/moto",
        reason="JIRA-1", taken_at=taken, approved_by="admin", requested_by="operator",
    )  # fmt: skip
    uri = snapshots.write_snapshot(document, root)
    addendum = snapshots.build_snapshot(
        USER, NOTHING_HELD, {}, run_id="manual__1", caller_arn="x", reason="", taken_at=taken, addendum_to=uri
    )
    snapshots.write_snapshot(addendum, root)
    report = {"run_id": "scheduled__1", "account": ACCOUNT, "generated_at": taken.isoformat(), "stale": []}
    s3.put_object(Bucket="iam-snapshots", Key=f"prod/reports/{ACCOUNT}/r.json", Body=json.dumps(report).encode())
    s3.put_object(Bucket="iam-snapshots", Key="prod/notes.txt", Body=b"not ours")

    found, reports = StoreIndex().refresh(root)

    assert uri.startswith(f"s3://iam-snapshots/prod/{ACCOUNT}/alice/")
    assert [(s["uri"], s["user_name"], s["requested_by"], s["approved_by"]) for s in found] == [
        (uri, "alice", "operator", "admin")
    ]
    assert [(r["uri"], r["run_id"]) for r in reports] == [
        (f"s3://iam-snapshots/prod/reports/{ACCOUNT}/r.json", "scheduled__1")
    ]
    assert read_document(uri) == document
    forget_object_stores()
