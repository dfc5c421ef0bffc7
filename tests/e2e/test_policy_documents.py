"""The policy files that no DAG run proves, read from their JSON: the guard of provisioning-guarded.json, and an AWS
Organization's member role, its trust policy and the management side (tests/e2e/test_least_privilege.py proves
each other file by a run as a user holding only it).

* **The guard**: in ``provisioning-guarded.json`` every Allow of CreateUser, AttachUserPolicy and PutUserPolicy
  requires the permissions boundary, AttachUserPolicy also requires a listed policy, AddUserToGroup names its
  groups, and removing or replacing a permissions boundary is denied (moto evaluates no conditions).
"""

from __future__ import annotations

import fnmatch
import json

import boto3

from tests.e2e.test_least_privilege import allowed_actions, as_list, load

# The guarded provisioning variant, read from the JSON (moto does not evaluate conditions).
GUARDED = load("provisioning-guarded.json")


def _matches(patterns: str | list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in as_list(patterns))


def statements_that_could(effect: str, action: str) -> list[dict]:
    """The statements of ``GUARDED`` with this effect whose Action (or NotAction) covers ``action``."""
    return [
        s
        for s in GUARDED["Statement"]
        if s["Effect"] == effect
        and (_matches(s["Action"], action) if "Action" in s else not _matches(s["NotAction"], action))
    ]


def boundary_required_by(statement: dict) -> str | None:
    return statement.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary")


def test_guarded_provisioning_creates_users_and_grants_only_inside_one_boundary():
    boundaries = set()
    for action in ("iam:CreateUser", "iam:AttachUserPolicy", "iam:PutUserPolicy"):
        allowing = statements_that_could("Allow", action)
        assert allowing, f"{action} is not allowed at all"
        for statement in allowing:
            boundary = boundary_required_by(statement)
            assert isinstance(boundary, str) and ":policy/" in boundary, (action, statement.get("Sid"))
            boundaries.add(boundary)
    assert len(boundaries) == 1, boundaries


def test_guarded_provisioning_attaches_only_listed_policies():
    for statement in statements_that_could("Allow", "iam:AttachUserPolicy"):
        listed = statement.get("Condition", {}).get("ArnEquals", {}).get("iam:PolicyARN")
        assert listed, statement.get("Sid")
        assert all(":policy/" in arn and "*" not in arn for arn in as_list(listed)), listed


def test_guarded_provisioning_adds_users_only_to_listed_groups():
    for statement in statements_that_could("Allow", "iam:AddUserToGroup"):
        assert all(":group/" in arn and "*" not in arn for arn in as_list(statement["Resource"])), statement


def test_guarded_provisioning_can_never_lift_a_boundary():
    for action in ("iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"):
        assert not statements_that_could("Allow", action), action
        assert any(s["Resource"] == "*" and "Condition" not in s for s in statements_that_could("Deny", action)), (
            f"{action} is not denied everywhere"
        )


def test_guarded_provisioning_allows_the_same_actions_as_provisioning():
    assert allowed_actions(GUARDED) == allowed_actions(load("provisioning.json"))


# ---- An AWS Organization: the member role, its trust policy, and the management side ---------------------------


def test_the_member_role_allows_what_offboarding_and_reconciliation_call_and_nothing_else():
    """
    The member role does what the identity of a connection did: both DAGs' IAM actions, each proven above by a
    run (reconciliation.json's delete mode offboards through offboarding.json). Not S3: snapshots and reports
    always go through ``aws_default``.
    """
    member = load("member-role.json")
    iam_actions = {a for f in ("offboarding.json", "reconciliation.json") for a in allowed_actions(load(f))}

    assert allowed_actions(member) == {a for a in iam_actions if a.startswith("iam:")}
    resources = {r for s in member["Statement"] for r in as_list(s["Resource"])}
    assert all(r == "*" or r.startswith("arn:aws:iam::*:") for r in resources), resources


def test_the_member_roles_trust_policy_lets_only_the_named_identity_assume_it_with_the_external_id():
    [statement] = load("member-role-trust.json")["Statement"]

    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    assert ":role/" in statement["Principal"]["AWS"] and "*" not in statement["Principal"]["AWS"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"]


def test_the_organization_policy_allows_exactly_what_listing_the_accounts_and_entering_one_call(monkeypatch):
    """Run under in-process moto: listing with and without organizational units, and each member hook's first call."""
    from botocore.handlers import BUILTIN_HANDLERS
    from moto import mock_aws

    from iam_lifecycle.accounts.targets import organization_targets
    from iam_lifecycle.aws.service_hooks import StsHook
    from iam_lifecycle.aws.sessions import account_hook

    called: set[str] = set()

    def record(model, **kwargs):
        called.add(f"{model.service_model.signing_name}:{model.name}")

    monkeypatch.setenv("AIRFLOW_CONN_AWS_ORG", json.dumps({"conn_type": "aws", "extra": {"region_name": "us-east-1"}}))
    handler = ("before-call", record)
    BUILTIN_HANDLERS.append(handler)
    try:
        with mock_aws():
            orgs = boto3.client("organizations", region_name="us-east-1")
            orgs.create_organization(FeatureSet="ALL")
            root = orgs.list_roots()["Roots"][0]["Id"]
            unit = orgs.create_organizational_unit(ParentId=root, Name="workloads")
            dev = orgs.create_account(AccountName="dev", Email="dev@example.com")["CreateAccountStatus"]["AccountId"]
            orgs.move_account(AccountId=dev, SourceParentId=root, DestinationParentId=unit["OrganizationalUnit"]["Id"])
            called.clear()
            found = organization_targets("aws_org")
            organization_targets("aws_org", organizational_unit_ids=[unit["OrganizationalUnit"]["Id"]])
            # The management account (the connection's own) and a member one (checked ACTIVE with DescribeAccount).
            for target in found:
                account_hook(StsHook, target, "manual__1").get_caller_arn()
    finally:
        BUILTIN_HANDLERS.remove(handler)

    policy = load("organization.json")
    # GetCallerIdentity needs no permission.
    assert called - {"sts:GetCallerIdentity"} == allowed_actions(policy)
    [assume] = [s for s in policy["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert assume["Resource"] == "arn:aws:iam::*:role/IamLifecycleRole"
