"""What many tests need, written once: connections as environment variables, a user's state read independently of
the code under test, and back-dated users for the stale-user tests."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.seed import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)
#: An offboarding plan (what ``plan_offboarding`` returns) of a small user, for the message tests.
SMALL_PLAN = {
    "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    "inline_policies": ["inline-0"],
    "groups": [],
    "access_keys": ["AKIAEXAMPLE"],
    "ssh_public_keys": [],
    "signing_certificates": [],
    "service_specific_credentials": [],
    "mfa_devices": [],
    "login_profile": True,
}


@functools.cache
def project_dagbag():
    """The project's DAG files, parsed once per test session (``dag.test`` runs and DAG checks share it)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def set_connection(monkeypatch, conn_id: str, conn_type: str, **fields: Any) -> None:
    """The Airflow connection ``conn_id``, given as an ``AIRFLOW_CONN_…`` environment variable (JSON)."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": conn_type, **fields}))


def ago(days: float, now: datetime = NOW) -> datetime:
    """``days`` before ``now`` (timezone-aware UTC)."""
    return now - timedelta(days=days)


# ---- a user's state, read with a plain boto3 client ---------------------------------------------------------


def _found(iam, read) -> bool:
    try:
        read()
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def user_exists(iam, name: str) -> bool:
    return _found(iam, lambda: iam.get_user(UserName=name))


def has_login_profile(iam, name: str) -> bool:
    return _found(iam, lambda: iam.get_login_profile(UserName=name))


def holdings(iam, name: str) -> dict:
    """What a user holds, by kind, sorted."""
    return {
        "policies": sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]),
        "inline": sorted(iam.list_user_policies(UserName=name)["PolicyNames"]),
        "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
        "keys": sorted(k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]),
        "mfa": sorted(d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]),
        "ssh": sorted(k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]),
        "certs": sorted(c["CertificateId"] for c in iam.list_signing_certificates(UserName=name)["Certificates"]),
        "service": sorted(
            c["ServiceSpecificCredentialId"]
            for c in iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"]
        ),
    }


def described(iam, name: str) -> dict:
    """Everything a restore must bring back: path, tags, boundary, groups, policies, inline documents."""
    user = iam.get_user(UserName=name)["User"]
    inline = {
        policy: iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]
    }
    return {
        "path": user["Path"],
        "tags": sorted((t["Key"], t["Value"]) for t in iam.list_user_tags(UserName=name)["Tags"]),
        "boundary": user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
        "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
        "policies": sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]),
        "inline": inline,
    }


def tags_of(iam, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]}


# ---- back-dated users -----------------------------------------------------------------------------------------


def make_user(
    iam,
    set_dates: Callable[..., None],
    name: str,
    created: float,
    password: float | str | None = None,
    keys=(),
    tags: dict[str, str] | None = None,
) -> None:
    """
    A user created ``created`` days ago. ``password``: days since its last use, "never", or None for no password;
    ``keys``: per access key, days since its last use or "never"; a key given as ``("inactive", days)`` is made
    inactive. ``set_dates(name, **dates)`` writes the dates into moto's state: ``Sandbox.set_user_dates`` on a
    sandbox server, :func:`sandbox.moto_server.set_user_dates` in-process.
    """
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    if password is not None:
        iam.create_login_profile(UserName=name, Password=PASSWORD)
    last_used = []
    for key in keys:
        status, used = key if isinstance(key, tuple) else ("active", key)
        key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        if status == "inactive":
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
        last_used.append(None if used == "never" else ago(used))
    dates: dict[str, Any] = {"create_date": ago(created), "access_key_last_used": last_used}
    if password is not None:
        dates["password_last_used"] = None if password == "never" else ago(password)
    set_dates(name, **dates)


def set_dates_in_process(name: str, account: str | None = None, **dates: Any) -> None:
    """:func:`make_user`'s ``set_dates`` for in-process moto (``mock_aws``)."""
    from sandbox.moto_server import set_user_dates

    body = {key: [iso(v) for v in value] if isinstance(value, list) else iso(value) for key, value in dates.items()}
    set_user_dates(name, body | ({"account": account} if account else {}))


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
