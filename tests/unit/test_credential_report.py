"""Finding stale users end to end against in-process moto: the credential report, users with tags, IAM cost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from moto.iam.models import iam_backends

from iam_lifecycle.aws.credential_report import fetch_credential_report
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.reconciliation.staleness import parse_credential_report, stale_users
from tests.helpers import NOW, ago

ACCOUNT = "123456789012"


@pytest.fixture
def hook(aws):
    return IamHook(aws_conn_id="aws_default")


def backend():
    return iam_backends[ACCOUNT]["aws"]


def test_finds_exactly_the_stale_users(iam, hook, make_user):
    make_user("idle-keys", 400, keys=[120, 150])
    make_user("idle-password", 400, password=150)
    make_user("never-used-password", 200, password="never")
    make_user("never-used-key", 200, keys=["never"])
    make_user("old-no-credentials", 100)
    make_user("idle-just-over", 400, password=90.01)
    make_user("two-keys-one-idle", 400, keys=[300, 5])
    make_user("idle-password-recent-key", 400, password=300, keys=[2])
    make_user("recent-inactive-key", 400, keys=[("inactive", 3)])
    make_user("recently-created", 10)
    make_user("recently-created-never-used", 10, password="never", keys=["never"])
    make_user("active", 400, password=1, keys=[1])
    make_user("idle-just-under", 400, password=89.99, keys=[100])

    report = parse_credential_report(fetch_credential_report(hook, poll_seconds=0))
    found = stale_users(report, NOW, 90)

    assert [(u["user_name"], u["idle_days"], u["idle_credentials"]) for u in found] == [
        ("never-used-key", 200, ["access_key_1"]),
        ("never-used-password", 200, ["password"]),
        ("idle-password", 150, ["password"]),
        ("idle-keys", 120, ["access_key_1", "access_key_2"]),
        ("old-no-credentials", 100, []),
        ("idle-just-over", 90, ["password"]),
    ]
    by_name = {u["user_name"]: u for u in found}
    assert by_name["idle-keys"]["last_used"] == ago(120).replace(microsecond=0).isoformat()
    assert by_name["never-used-password"]["last_used"] is None
    assert by_name["idle-keys"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/idle-keys"


def test_credential_report_polls_until_complete(iam, hook, iam_calls, make_user):
    make_user("alice", 1)
    iam_calls.clear()

    text = fetch_credential_report(hook, poll_seconds=0)

    assert text.startswith("user,arn,user_creation_time,")
    assert [r["user"] for r in parse_credential_report(text)] == ["alice"]
    # moto answers STARTED to the first GenerateCredentialReport and COMPLETE afterwards.
    assert iam_calls == ["GenerateCredentialReport", "GenerateCredentialReport", "GetCredentialReport"]


def test_credential_report_gone_between_calls_is_generated_again(iam, hook, iam_calls, make_user):
    """ReportExpired, ReportInProgress and ReportNotPresent from GetCredentialReport mean: generate, poll again."""
    make_user("alice", 1)
    fetch_credential_report(hook, poll_seconds=0)
    get_report = hook.conn.get_credential_report
    errors = hook.conn.exceptions
    failures = [
        (errors.CredentialReportExpiredException, "ReportExpired"),
        (errors.CredentialReportNotReadyException, "ReportInProgress"),
        (errors.CredentialReportNotPresentException, "ReportNotPresent"),
    ]

    def fails_then_answers():
        if failures:
            error, code = failures.pop(0)
            raise error({"Error": {"Code": code, "Message": code}}, "GetCredentialReport")
        return get_report()

    hook.conn.get_credential_report = fails_then_answers
    iam_calls.clear()

    assert "alice" in fetch_credential_report(hook, poll_seconds=0)
    # The three failing GetCredentialReport calls are stand-ins; only the last one goes through botocore.
    assert iam_calls == ["GenerateCredentialReport"] * 4 + ["GetCredentialReport"]


def test_credential_report_times_out_with_a_clear_error(aws, hook):
    polls = []
    hook.conn.generate_credential_report = lambda: polls.append(1) or {"State": "INPROGRESS"}

    with pytest.raises(TimeoutError, match=r"not complete after 0.2 s \(last state: INPROGRESS\)"):
        fetch_credential_report(hook, poll_seconds=0.05, timeout_seconds=0.2)
    assert 2 <= len(polls) <= 6  # bounded, and it slept between polls


def test_list_users_with_details_returns_tags(iam, hook):
    iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "platform"}])
    iam.create_user(UserName="bob")
    backend().users["alice"].create_date = datetime(2025, 1, 2, 3, 4, 5)

    users = {u["UserName"]: u for u in hook.list_users_with_details()}

    created = users["alice"].pop("CreateDate")
    assert users["alice"] == {
        "UserName": "alice",
        "UserId": backend().users["alice"].id,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/eng/alice",
        "Path": "/eng/",
        "Tags": {"team": "platform"},
        "PermissionsBoundary": None,
    }
    assert datetime.fromisoformat(created) == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert users["bob"]["Tags"] == {}


# GetAccountAuthorizationDetails is paged as AWS pages it (MaxItems, default 100, and Marker) by
# sandbox.strict_moto, applied in conftest: moto alone returns every user in one page, which would hide both a
# hook that does not follow Marker and the real number of calls.


def test_listing_users_follows_every_page(iam, aws, iam_calls):
    for n in range(12):
        backend().create_user("us-east-1", f"user-{n:02}", tags=[{"Key": "n", "Value": str(n)}])
    iam_calls.clear()

    users = IamHook(aws_conn_id="aws_default", page_size=5).list_users_with_details()

    assert [(u["UserName"], u["Tags"]) for u in users] == [(f"user-{n:02}", {"n": str(n)}) for n in range(12)]
    assert iam_calls == ["GetAccountAuthorizationDetails"] * 3


def test_finding_costs_about_the_same_for_100_and_2000_users(aws, iam_calls):
    """Cost: the report's 2-3 calls plus one call per 1000 users, whatever the number of users."""

    def calls_to_find(user_count: int) -> list[str]:
        users = backend().users
        for n in range(len(users), user_count):
            backend().create_user("us-east-1", f"user-{n:04}", tags=[{"Key": "team", "Value": "t"}])
        hook = IamHook(aws_conn_id="aws_default")
        iam_calls.clear()
        report = parse_credential_report(fetch_credential_report(hook, poll_seconds=0))
        details = hook.list_users_with_details()
        assert len(report) == len(details) == user_count
        return list(iam_calls)

    small = calls_to_find(100)
    large = calls_to_find(2000)

    # The first report needs one extra GenerateCredentialReport (STARTED, then COMPLETE).
    assert small == ["GenerateCredentialReport"] * 2 + ["GetCredentialReport", "GetAccountAuthorizationDetails"]
    assert large == ["GenerateCredentialReport", "GetCredentialReport"] + ["GetAccountAuthorizationDetails"] * 2
    assert len(large) - len(small) <= 2
