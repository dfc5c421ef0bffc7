"""Snapshots of a user, written before any change so the user can be put back.

A snapshot is JSON: who the user was (ARN, id, path, creation date, tags, permissions boundary), what it held
(groups, attached policy ARNs, inline policies with their documents, login profile present, access key ids with
status and dates, MFA serials, SSH key ids, certificate ids, service-specific credential ids) and the run that
took it (run id, caller ARN, reason). It never holds a secret: IAM does not return key secrets or passwords
to list calls, and none is asked for.

Snapshots live under the Airflow Variable ``iam_lifecycle_snapshot_uri`` (default
``file://$AIRFLOW_HOME/iam-lifecycle/snapshots``; ``s3://bucket/prefix`` goes through the ``aws_default``
connection) at ``<account id>/<user name>/<UTC timestamp>.json``.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

from airflow.sdk import ObjectStoragePath

SNAPSHOT_URI_VARIABLE = "iam_lifecycle_snapshot_uri"
SNAPSHOT_VERSION = 1


def default_snapshot_uri() -> str:
    airflow_home = os.environ.get("AIRFLOW_HOME", os.path.expanduser("~/airflow"))
    return f"file://{airflow_home}/iam-lifecycle/snapshots"


def storage_root(uri: str | None = None, aws_conn_id: str = "aws_default") -> ObjectStoragePath:
    """Where snapshots and reports go: ``uri``, else the Variable, else the default under AIRFLOW_HOME."""
    if uri is None:
        from airflow.sdk import Variable

        uri = Variable.get(SNAPSHOT_URI_VARIABLE, default=None) or default_snapshot_uri()
    uri = os.path.expandvars(uri)
    conn_id = aws_conn_id if uri.startswith("s3://") else None
    return ObjectStoragePath(uri, conn_id=conn_id)


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def build_snapshot(
    user: dict[str, Any],
    managed_policies: list[str],
    dependencies: dict[str, Any],
    inline_documents: dict[str, Any],
    *,
    run_id: str,
    caller_arn: str,
    reason: str,
    taken_at: datetime.datetime,
) -> dict[str, Any]:
    """
    The snapshot document.

    :param user: as ``GetUserOperator`` returns it.
    :param managed_policies: attached policy ARNs.
    :param dependencies: as ``ListUserDependenciesOperator`` returns it.
    :param inline_documents: inline policy name -> policy document.
    """
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": taken_at.isoformat(),
        "run_id": run_id,
        "caller_arn": caller_arn,
        "reason": reason,
        "user": {
            "UserName": user["UserName"],
            "UserId": user["UserId"],
            "Arn": user["Arn"],
            "Path": user["Path"],
            "CreateDate": user["CreateDate"],
            "Tags": user["Tags"],
            "PermissionsBoundary": user["PermissionsBoundary"],
        },
        "groups": dependencies["groups"],
        "managed_policies": managed_policies,
        "inline_policies": inline_documents,
        "login_profile": dependencies["login_profile"],
        "access_keys": dependencies["access_key_details"],
        "mfa_devices": dependencies["mfa_devices"],
        "ssh_public_keys": dependencies["ssh_public_keys"],
        "signing_certificates": dependencies["signing_certificates"],
        "service_specific_credentials": dependencies["service_specific_credentials"],
    }


def write_snapshot(snapshot: dict[str, Any], root: ObjectStoragePath) -> str:
    """
    Write ``snapshot`` under ``root`` and read it back; return its URI.

    Raises if the write fails or what is read back differs, so the caller changes nothing without a snapshot.
    """
    taken_at = datetime.datetime.fromisoformat(snapshot["taken_at"]).astimezone(datetime.UTC)
    user = snapshot["user"]
    path = root / account_of(user["Arn"]) / user["UserName"] / f"{taken_at:%Y%m%dT%H%M%S.%fZ}.json"
    if uri_of(path).startswith("file://"):
        # Object stores have no directories; creating one on S3 would create the bucket.
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snapshot, indent=2, sort_keys=True))
    if read_json(path) != snapshot:
        raise OSError(f"Snapshot at {uri_of(path)} does not read back as written")
    return uri_of(path)


def uri_of(path: ObjectStoragePath) -> str:
    """The path as a plain URI (``str()`` would include the connection id)."""
    protocol = path.protocol if isinstance(path.protocol, str) else path.protocol[0]
    return f"{protocol}://{path.path}"


def read_json(path: ObjectStoragePath) -> Any:
    return json.loads(path.read_text())


def read_snapshot(uri: str, aws_conn_id: str = "aws_default") -> dict[str, Any]:
    """Load a snapshot written by :func:`write_snapshot`."""
    snapshot = read_json(storage_root(uri, aws_conn_id))
    if snapshot.get("version") != SNAPSHOT_VERSION or "user" not in snapshot:
        raise ValueError(f"{uri} is not an iam-lifecycle snapshot")
    return snapshot
