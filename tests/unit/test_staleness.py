"""stale_users on hand-written credential report rows, shaped like AWS's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iam_lifecycle.reconciliation.staleness import parse_credential_report, stale_users, unused_credentials

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
NO_KEY = {"active": "false", "last_rotated": "N/A", "last_used_date": "N/A"}


def ago(days: float) -> str:
    """A report timestamp ``days`` before NOW, in AWS's format."""
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def key(used: str, rotated: str | None = None, active: bool = True) -> dict[str, str]:
    return {"active": "true" if active else "false", "last_rotated": rotated or ago(400), "last_used_date": used}


def row(user: str, created: str, password: str | None = None, key_1=NO_KEY, key_2=NO_KEY) -> dict[str, str]:
    """A report row; ``password`` is password_last_used (None: no password, shown as AWS does, ``N/A``)."""
    values = {
        "user": user,
        "arn": f"arn:aws:iam::123456789012:user/{user}",
        "user_creation_time": created,
        "password_enabled": "false" if password is None else "true",
        "password_last_used": "N/A" if password is None else password,
        "password_last_changed": "N/A" if password is None else created,
        "password_next_rotation": "N/A",
        "mfa_active": "false",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    for slot, k in ((1, key_1), (2, key_2)):
        values |= {f"access_key_{slot}_{field}": value for field, value in k.items()}
        values |= {f"access_key_{slot}_last_used_region": "N/A", f"access_key_{slot}_last_used_service": "N/A"}
    return {column: values[column] for column in HEADER.split(",")}


def names(rows, max_idle_days=90) -> list[str]:
    return [user["user_name"] for user in stale_users(rows, NOW, max_idle_days)]


def test_parse_credential_report_gives_rows_keyed_by_header():
    rows = [row("alice", ago(400), password=ago(3)), row("bob", ago(10), key_1=key(ago(1)))]
    text = HEADER + "\n" + "\n".join(",".join(r.values()) for r in rows) + "\n"

    assert parse_credential_report(text) == rows


def test_idle_exactly_max_idle_days_is_stale_just_under_is_not():
    rows = [
        row("exactly", ago(400), key_1=key(ago(90))),
        row("under", ago(400), key_1=key(ago(90 - 1 / 86400))),  # one second short of 90 days
        row("created-exactly", ago(90)),
        row("created-under", ago(90 - 1 / 86400)),
    ]

    assert names(rows) == ["created-exactly", "exactly"]


def test_result_shape():
    rows = [row("alice", ago(400), password=ago(120), key_1=key("N/A"))]

    assert stale_users(rows, NOW, 90) == [
        {
            "user_name": "alice",
            "arn": "arn:aws:iam::123456789012:user/alice",
            "created": (NOW - timedelta(days=400)).isoformat(),
            "idle_days": 120,
            "idle_credentials": ["password", "access_key_1"],
            "last_used": (NOW - timedelta(days=120)).isoformat(),
        }
    ]


def test_never_used_password_counts_from_the_users_creation():
    rows = [row("old", ago(200), password="no_information"), row("new", ago(30), password="no_information")]

    [old] = stale_users(rows, NOW, 90)

    assert old | {"idle_days": 200, "idle_credentials": ["password"], "last_used": None} == old
    assert names(rows) == ["old"]


def test_one_recent_key_keeps_the_user_even_when_the_other_is_idle():
    rows = [
        row("both-keys-one-recent", ago(400), key_1=key(ago(300)), key_2=key(ago(5))),
        row("both-keys-idle", ago(400), key_1=key(ago(300)), key_2=key(ago(100), active=False)),
        row("password-idle-key-recent", ago(400), password=ago(200), key_1=key(ago(2))),
    ]

    [both_idle] = stale_users(rows, NOW, 90)

    assert both_idle["user_name"] == "both-keys-idle"
    assert both_idle["idle_days"] == 100  # since the most recent use of any credential
    assert both_idle["idle_credentials"] == ["access_key_1", "access_key_2"]


def test_a_recently_used_inactive_key_counts_as_use():
    assert names([row("deactivated-yesterday", ago(400), key_1=key(ago(3), active=False))]) == []


def test_users_without_credentials_are_stale_by_age_alone():
    rows = [row("old-empty", ago(91)), row("new-empty", ago(1))]

    assert stale_users(rows, NOW, 90) == [
        {
            "user_name": "old-empty",
            "arn": "arn:aws:iam::123456789012:user/old-empty",
            "created": (NOW - timedelta(days=91)).isoformat(),
            "idle_days": 91,
            "idle_credentials": [],
            "last_used": None,
        }
    ]


@pytest.mark.parametrize("never", ["N/A", "no_information", "not_supported", ""])
def test_every_non_date_value_means_never_used(never):
    rows = [
        row("old-password", ago(100), password=never),
        row("old-key", ago(100), key_1=key(never)),
        row("new-password", ago(10), password=never),
        row("new-key", ago(10), key_1=key(never)),
    ]

    result = stale_users(rows, NOW, 90)

    assert [(u["user_name"], u["idle_days"], u["last_used"]) for u in result] == [
        ("old-key", 100, None),
        ("old-password", 100, None),
    ]


def test_key_slots_exist_only_with_a_rotation_date():
    # password_enabled false with a last-used date (a password since removed) is not a credential either.
    no_credentials = row("gone-key-and-password", ago(200)) | {
        "password_last_used": ago(1),
        "access_key_1_last_used_date": ago(1),  # no last_rotated date: no key in this slot
    }

    [user] = stale_users([no_credentials], NOW, 90)

    assert user["idle_credentials"] == [] and user["idle_days"] == 200 and user["last_used"] is None


def test_root_account_row_is_skipped():
    root = row("<root_account>", ago(3000), password=ago(500)) | {"arn": "arn:aws:iam::123456789012:root"}

    assert names([root, row("alice", ago(3000), password=ago(500))]) == ["alice"]


def test_sorted_by_idle_days_descending_then_name():
    rows = [row("b", ago(100)), row("c", ago(300)), row("a", ago(100)), row("d", ago(10))]

    assert names(rows) == ["c", "a", "b"]


def test_cis_threshold():
    rows = [row("alice", ago(400), password=ago(50)), row("bob", ago(400), password=ago(40))]

    assert names(rows, max_idle_days=45) == ["alice"]
    assert names(rows, max_idle_days=90) == []


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        stale_users([], NOW.replace(tzinfo=None), 90)


def unused(rows, max_idle_days=90) -> list[tuple[str, str, int]]:
    return [
        (c["user_name"], c["credential"], c["idle_days"])
        for c in unused_credentials(rows, NOW, max_idle_days)["unused"]
    ]


def test_only_the_idle_key_of_an_active_user_is_unused():
    rows = [row("dev", ago(400), key_1=key(ago(1)), key_2=key(ago(120)))]
    assert names(rows) == []  # the user is in use
    assert unused(rows) == [("dev", "access_key_2", 120)]


def test_an_idle_password_beside_a_used_key_is_unused():
    assert unused([row("dev", ago(400), password=ago(200), key_1=key(ago(2)))]) == [("dev", "password", 200)]


def test_never_used_credentials_count_from_their_own_creation():
    rows = [
        row("old-user-new-key", ago(400), key_1=key("N/A", rotated=ago(10))),
        row("old-key-never-used", ago(400), key_1=key("N/A", rotated=ago(100))),
        row("old-password-never-used", ago(100), password="no_information"),
    ]
    assert unused(rows) == [("old-key-never-used", "access_key_1", 100), ("old-password-never-used", "password", 100)]


def test_inactive_keys_are_left_as_they_are():
    assert unused([row("dev", ago(400), key_1=key(ago(300), active=False))]) == []


def test_users_created_within_the_reports_age_are_not_judged():
    fresh = row("fresh", (NOW - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S+00:00"), password="no_information")
    result = unused_credentials([fresh, row("old", ago(400), password=ago(100))], NOW, 0)
    assert [(c["user_name"], c["credential"]) for c in result["unused"]] == [("old", "password")]
    assert result["not_judged"] == [{"user_name": "fresh", "reason": "created within the last 4 hours"}]
