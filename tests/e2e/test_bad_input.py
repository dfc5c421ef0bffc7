"""Targets that must be refused, each with a one-line reason and zero mutating IAM calls."""

from __future__ import annotations

import json

import pytest

from sandbox.seed import seed_user
from tests.e2e.test_offboarding import holdings
from tests.fixtures.e2e import run_dag

pytestmark = pytest.mark.e2e

# (user_name, where it is refused, words of the reason)
BAD_TARGETS = [
    ("", "trigger", "user_name"),
    ("a" * 65, "trigger", "user_name"),
    ("alice smith", "trigger", "user_name"),
    ("staff/alice", "trigger", "user_name"),
    ("*", "trigger", "user_name"),
    ("{{ params.reason }}", "trigger", "user_name"),
    ("josé", "trigger", "user_name"),
    ("alice;rm -rf /", "trigger", "user_name"),
    ("$(whoami)", "trigger", "user_name"),
    ("arn:aws:iam::123456789012:user/alice", "trigger", "user_name"),
    ("nobody", "check_user", "IAM user 'nobody' does not exist"),
    ("protected-by-variable", "check_protection", "in the Variable iam_lifecycle_protected_users"),
    ("protected-by-tag", "check_protection", "tagged lifecycle:protected=true"),
    ("the-caller", "check_protection", "is the identity this DAG runs as"),
]


@pytest.fixture
def account(sandbox, monkeypatch):
    """Bystanders that must stay whole, and the protected users of the table."""
    iam = sandbox.iam
    for name in ("alice", "protected-by-variable", "the-caller"):
        seed_user(iam, name)
    seed_user(iam, "protected-by-tag", tags={"lifecycle:protected": "true"})
    monkeypatch.setenv("AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS", json.dumps(["svc-*", "protected-by-var*"]))
    iam.delete_access_key(
        UserName="the-caller",
        AccessKeyId=iam.list_access_keys(UserName="the-caller")["AccessKeyMetadata"][0]["AccessKeyId"],
    )
    key = iam.create_access_key(UserName="the-caller")["AccessKey"]
    sandbox.use_credentials(key["AccessKeyId"], key["SecretAccessKey"])
    before = {
        name: holdings(iam, name) for name in ("alice", "protected-by-variable", "protected-by-tag", "the-caller")
    }
    sandbox.clear_calls()
    return before


@pytest.mark.parametrize(("user_name", "refused_at", "reason"), BAD_TARGETS, ids=[repr(t[0])[:24] for t in BAD_TARGETS])
def test_bad_targets_are_refused_with_zero_mutating_calls(sandbox, account, user_name, refused_at, reason):
    from airflow.sdk.exceptions import ParamValidationError

    if refused_at == "trigger":
        with pytest.raises(ParamValidationError, match=reason):
            run_dag("iam_user_offboarding", {"user_name": user_name})
    else:
        result = run_dag("iam_user_offboarding", {"user_name": user_name})
        assert result.state == "failed"
        assert result.task_states[refused_at] == "failed"
        [alert] = sandbox.messages
        assert reason in alert and "nothing was changed" in alert and len(alert.splitlines()) == 1

    assert sandbox.mutating_calls() == []
    assert {name: holdings(sandbox.iam, name) for name in account} == account
