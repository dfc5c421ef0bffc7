"""Which IAM users are stale, from the account's credential report. Pure functions over plain data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

ROOT_ACCOUNT = "<root_account>"

#: Access key slots in the credential report (IAM allows at most two access keys per user).
ACCESS_KEY_SLOTS = (1, 2)


def parse_credential_report(csv_text: str) -> list[dict[str, str]]:
    """The credential report's rows as dicts keyed by its header (``user``, ``arn``, ``user_creation_time``…)."""
    return list(csv.DictReader(io.StringIO(csv_text)))


def _date(value: str | None) -> datetime | None:
    """A report timestamp, or None for anything else (``N/A``, ``no_information``, ``not_supported``, empty)."""
    try:
        parsed = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _credentials(row: dict[str, str]) -> dict[str, datetime | None]:
    """The user's credentials the report tracks use of, each with its last use (None: never used)."""
    credentials: dict[str, datetime | None] = {}
    if row.get("password_enabled") == "true":
        credentials["password"] = _date(row.get("password_last_used"))
    for slot in ACCESS_KEY_SLOTS:
        # `access_key_N_active` is "false" both for an inactive key and for no key at all; only a key that
        # exists has a creation ("last rotated") date.
        if _date(row.get(f"access_key_{slot}_last_rotated")):
            credentials[f"access_key_{slot}"] = _date(row.get(f"access_key_{slot}_last_used_date"))
    return credentials


def stale_users(report_rows: list[dict[str, str]], now: datetime, max_idle_days: int) -> list[dict[str, Any]]:
    """
    The users in the credential report that nobody has used for ``max_idle_days`` days or more.

    Definition. A user's credentials are its console password when ``password_enabled`` is ``true`` and each
    access key that exists (slot N exists when ``access_key_N_last_rotated`` is a date), active or inactive: an
    inactive key that was used recently still shows the user was in use. Each credential's last use is
    ``password_last_used`` / ``access_key_N_last_used_date``; any value that is not a date (``N/A``,
    ``no_information``, ``not_supported``, empty) means never used, and a credential never used counts as
    unused since the user's creation (``user_creation_time``). The user's last activity is the latest of its
    creation and its credentials' last uses; ``idle_days`` is the number of whole days from then to ``now``.
    The user is stale when ``idle_days >= max_idle_days``: created at least ``max_idle_days`` days ago and no
    credential used within them. A user with no credentials at all is therefore stale by age alone. The
    ``<root_account>`` row is skipped.

    Thresholds in common use ("unused for N days or more"): 45 days for CIS AWS Foundations 1.12 and Security
    Hub IAM.22; 90 days for Security Hub IAM.8 and AWS Config ``iam-user-unused-credentials-check``.

    The report has no use dates for signing certificates, SSH public keys or service-specific credentials, so
    those are not considered. IAM serves a report up to 4 hours old, and records use with some delay.

    :param report_rows: rows from :func:`parse_credential_report`.
    :param now: the reference time; must be timezone-aware.
    :param max_idle_days: days without use after which a user is stale.
    :return: one dict per stale user, ``{"user_name", "arn", "created" (ISO), "idle_days", "idle_credentials"
        (the idle credentials' names, e.g. ``["password", "access_key_1"]``), "last_used" (ISO, or None when
        no credential was ever used)}``, sorted by ``idle_days`` descending, then name.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stale = []
    for row in report_rows:
        if row["user"] == ROOT_ACCOUNT:
            continue
        created = _date(row["user_creation_time"])
        if created is None:
            raise ValueError(f"credential report row for {row['user']!r} has no creation time")
        credentials = _credentials(row)
        uses = [used for used in credentials.values() if used is not None]
        last_used = max(uses, default=None)
        idle_days = (now - max(created, last_used or created)).days
        if idle_days < max_idle_days:
            continue
        stale.append(
            {
                "user_name": row["user"],
                "arn": row["arn"],
                "created": created.isoformat(),
                "idle_days": idle_days,
                "idle_credentials": [
                    name for name, used in credentials.items() if (now - (used or created)).days >= max_idle_days
                ],
                "last_used": last_used.isoformat() if last_used else None,
            }
        )
    return sorted(stale, key=lambda user: (-user["idle_days"], user["user_name"]))


#: IAM serves a credential report up to this old: a user created since may be missing from it, or shown without
#: credentials it has. Its credentials are not judged.
REPORT_MAX_AGE = timedelta(hours=4)
#: How the credentials are named in a report row's columns, and in messages and reports.
PASSWORD = "password"
CREDENTIAL_NAMES = {PASSWORD: "console password", "access_key_1": "access key 1", "access_key_2": "access key 2"}


def _active_credentials(row: dict[str, str]) -> dict[str, tuple[datetime, datetime | None]]:
    """The user's credentials that can be used now, each with (when it was created, when it was last used)."""
    created = _date(row["user_creation_time"])
    credentials = {}
    if row.get("password_enabled") == "true":
        # password_last_changed is the password's creation unless it was changed since: a fair start of idleness.
        since = _date(row.get("password_last_changed")) or created
        credentials[PASSWORD] = (since, _date(row.get("password_last_used")))
    for slot in ACCESS_KEY_SLOTS:
        rotated = _date(row.get(f"access_key_{slot}_last_rotated"))
        if rotated and row.get(f"access_key_{slot}_active") == "true":
            credentials[f"access_key_{slot}"] = (rotated, _date(row.get(f"access_key_{slot}_last_used_date")))
    return credentials


def unused_credentials(report_rows: list[dict[str, str]], now: datetime, max_idle_days: int) -> dict[str, list]:
    """
    The credentials of any user, active or not, that nobody has used for ``max_idle_days`` days or more.

    Definition. A credential is the console password when ``password_enabled`` is ``true``, and each access key
    that exists and is active (``access_key_N_active`` is ``true``): an inactive key cannot be used, so it is left
    as it is. Its idleness counts from its last use, or, never used, from its creation (``access_key_N_last_rotated``
    for a key; ``password_last_changed``, else the user's creation, for a password). It is unused when that is
    ``max_idle_days`` whole days or more before ``now`` — the per-credential check of AWS Config's
    ``iam-user-unused-credentials-check`` and CIS 2.11 (45 days).

    A user created less than :data:`REPORT_MAX_AGE` before ``now`` is not judged: the report may predate it.

    :return: ``{"unused": [...], "not_judged": [...]}``. Each unused item is ``{"user_name", "arn", "credential"
        ("password", "access_key_1" or "access_key_2"), "created" (ISO), "last_used" (ISO or None), "idle_days"}``,
        sorted by ``idle_days`` descending, then user and credential; each not-judged item ``{"user_name",
        "reason"}``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    unused, not_judged = [], []
    for row in report_rows:
        if row["user"] == ROOT_ACCOUNT:
            continue
        if now - _date(row["user_creation_time"]) < REPORT_MAX_AGE:
            not_judged.append({"user_name": row["user"], "reason": "created within the last 4 hours"})
            continue
        for name, (created, used) in _active_credentials(row).items():
            idle_days = (now - (used or created)).days
            if idle_days >= max_idle_days:
                unused.append(
                    {
                        "user_name": row["user"],
                        "arn": row["arn"],
                        "credential": name,
                        "created": created.isoformat(),
                        "last_used": used.isoformat() if used else None,
                        "idle_days": idle_days,
                    }
                )
    unused.sort(key=lambda item: (-item["idle_days"], item["user_name"], item["credential"]))
    return {"unused": unused, "not_judged": not_judged}
