"""Who is protected, and the reason given."""

from __future__ import annotations

import pytest

from iam_lifecycle.protection import parse_protected_patterns, protection_reason

ALICE = {"UserName": "alice", "Arn": "arn:aws:iam::123456789012:user/staff/alice", "Tags": {}}
OTHER_CALLER = "arn:aws:sts::123456789012:assumed-role/airflow/session"


@pytest.mark.parametrize(
    ("user", "caller", "patterns", "expected"),
    [
        (ALICE, OTHER_CALLER, [], None),
        (ALICE, OTHER_CALLER, ["bob", "alice"], "matches 'alice'"),
        (ALICE, OTHER_CALLER, ["al?ce"], "matches 'al?ce'"),
        # IAM user names are unique case-insensitively: "ALICE" and "alice" are one user, so both protect it.
        (ALICE, OTHER_CALLER, ["ALICE"], "matches 'ALICE'"),
        (ALICE, OTHER_CALLER, ["Al*"], "matches 'Al*'"),
        (ALICE, OTHER_CALLER, ["alice-*"], None),
        (ALICE | {"Tags": {"lifecycle:protected": "true"}}, OTHER_CALLER, [], "tagged lifecycle:protected=true"),
        (ALICE | {"Tags": {"lifecycle:protected": "TRUE "}}, OTHER_CALLER, [], "tagged lifecycle:protected=true"),
        (ALICE | {"Tags": {"Lifecycle:Protected": "True"}}, OTHER_CALLER, [], "tagged lifecycle:protected=true"),
        (ALICE | {"Tags": {"LIFECYCLE:PROTECTED": "true"}}, OTHER_CALLER, [], "tagged lifecycle:protected=true"),
        (ALICE | {"Tags": {"lifecycle:protected": "false"}}, OTHER_CALLER, [], None),
        (ALICE, "arn:aws:iam::123456789012:user/staff/alice", [], "is the identity this DAG runs as"),
        (ALICE, "arn:aws:sts::123456789012:user/alice", [], "is the identity this DAG runs as"),
        (ALICE, "arn:aws:iam::999999999999:user/alice", [], None),  # same name, another account
        (ALICE, "arn:aws:sts::123456789012:assumed-role/alice/alice", [], None),
    ],
)
def test_protection_reason(user, caller, patterns, expected):
    reason = protection_reason(user, caller, patterns)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason and reason.startswith("IAM user alice is protected")


def test_a_variable_entry_protects_the_name_in_any_case():
    terraform = {"UserName": "terraform", "Arn": "arn:aws:iam::123456789012:user/terraform", "Tags": {}}
    assert "matches 'Terraform'" in protection_reason(terraform, OTHER_CALLER, ["Terraform"])


@pytest.mark.parametrize(("raw", "expected"), [(None, []), ("", []), ("[]", []), ('["a", "svc-*"]', ["a", "svc-*"])])
def test_parse_protected_patterns(raw, expected):
    assert parse_protected_patterns(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"), [("alice, bob", "not valid JSON"), ('{"a": 1}', "JSON list"), ("[1]", "JSON list")]
)
def test_malformed_protected_patterns_fail_closed(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_protected_patterns(raw)


def test_a_malformed_variable_refuses_every_run_with_the_reason(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from iam_lifecycle.protection import protected_patterns

    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", "alice, bob")
    with pytest.raises(AirflowFailException, match=r"is not valid JSON.*; nothing was changed\.$"):
        protected_patterns()
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", '["Break-Glass-*"]')
    assert protected_patterns() == ["Break-Glass-*"]
