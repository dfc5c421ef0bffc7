"""policies/identity-center.json is exactly what the organization's offboarding calls in IAM Identity Center (the
lookup, the removal, a deletion polled IN_PROGRESS once, and the proof), and identity-center-restore.json exactly
what iam_user_provisioning's restore from its snapshot calls, recorded under in-process moto: every action each
allows is called, and nothing is called that it does not allow."""

from __future__ import annotations

import boto3
from botocore.handlers import BUILTIN_HANDLERS

from iam_lifecycle.identity_center import person, removal, restore
from iam_lifecycle.offboarding import organization
from sandbox import identity_center
from sandbox.identity_center import Seed
from tests.e2e.test_least_privilege import allowed_actions, load

identity_center.apply()
SERVICES = ("sso", "identitystore")


def test_the_identity_center_policy_allows_exactly_what_a_removal_and_its_proof_call(aws, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI", f"file://{tmp_path}")
    identity_center.configure({"in_progress_polls": 1})
    center = Seed(boto3.client("sso-admin", region_name="us-east-1"), boto3.client("identitystore", "us-east-1"))
    alice = center.user("alice")
    center.assign("111111111111", center.permission_set("Admin"), alice)
    center.group("engineers", alice)
    called: set[str] = set()

    def record(model, **kwargs):
        if model.service_model.signing_name in SERVICES:
            called.add(f"{model.service_model.signing_name}:{model.name}")

    handler = ("before-call", record)
    BUILTIN_HANDLERS.append(handler)
    try:
        params = {"user_name": "alice", "organization_conn_id": "aws_default", "identity_center": None}
        found = person.look_up(params)
        uri = removal.remove_person("aws_default", found, run_id="r", reason="", trail={}, poll_seconds=0)[
            "snapshot_uri"
        ]
        assert organization.verify_nothing_left([], "alice", found, "aws_default", "r")["left"] == []
        offboarding = set(called)
        called.clear()
        restore.restore_person("aws_default", restore.restore_plan(uri), poll_seconds=0)
    finally:
        BUILTIN_HANDLERS.remove(handler)
        identity_center.configure({})

    assert offboarding == allowed_actions(load("identity-center.json"))
    assert called == allowed_actions(load("identity-center-restore.json"))
