"""Changing moto's IAM state directly, where the API cannot (dates) or would take minutes (many users).

Served by ``sandbox.moto_server`` (``/_sandbox/users/<name>/dates``, ``/_sandbox/bulk_users``) and used in-process by
the tests (``tests.helpers.set_dates_in_process``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _naive_utc(value: str | None) -> datetime | None:
    """An ISO 8601 time as moto stores it (naive UTC); None stays None."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None)


def set_user_dates(name: str, dates: dict) -> None:
    """Set a user's creation and last-use dates in moto's state (see the module docstring)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    user = iam_backends[dates.get("account", DEFAULT_ACCOUNT_ID)]["aws"].users[name]
    if "create_date" in dates:
        user.create_date = _naive_utc(dates["create_date"])
        for key in user.access_keys:
            key.create_date = user.create_date
    if "password_last_used" in dates:
        user.password_last_used = _naive_utc(dates["password_last_used"])
    for key, used in zip(user.access_keys, dates.get("access_key_last_used", []), strict=False):
        key.last_used = None if used is None else AccessKeyLastUsed(_naive_utc(used), "s3", "us-east-1")


def create_bulk_users(spec: dict) -> int:
    """Create many users with credentials and dates in moto's state (see the module docstring)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    backend = iam_backends[spec.get("account", DEFAULT_ACCOUNT_ID)]["aws"]
    count, prefix, keys = int(spec["count"]), spec.get("prefix", "u"), int(spec.get("with_keys", 0))
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(count):
        name = f"{prefix}{i:05d}"
        user = backend.create_user("us-east-1", name)
        age = 1 + i * 37 % 730
        user.create_date = now - timedelta(days=age)
        last_used = None if i % 5 == 0 else now - timedelta(days=min(i * 13 % 365, age))
        if i % 3 == 0:
            backend.create_login_profile(name, "Sandbox-Passw0rd!")
            user.password_last_used = last_used
        for _ in range(keys):
            key = backend.create_access_key(name)
            key.create_date = user.create_date
            key.last_used = last_used and AccessKeyLastUsed(last_used, "s3", "us-east-1")
    return count
