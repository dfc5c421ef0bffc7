"""Snapshots of a user, written before any change so the user can be put back.

A snapshot is JSON: who the user was (ARN, id, path, creation date, tags, permissions boundary), what it held
(groups, attached policy ARNs, inline policies with their documents, login profile present, access key ids with
status and dates, MFA serials, SSH key ids, certificate ids, service-specific credential ids) and the run that
took it (run id, caller ARN, reason, and who approved it when a person did). It never holds a secret: IAM does
not return key secrets or passwords to list calls, and none is asked for.

Snapshots live under the Airflow Variable ``iam_lifecycle_snapshot_uri`` (default
``file://$AIRFLOW_HOME/iam-lifecycle/snapshots``; ``s3://bucket/prefix`` goes through the ``aws_default``
connection) at ``<account id>/<user name>/<UTC timestamp>.json``.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from typing import TYPE_CHECKING, Any

from airflow.sdk import ObjectStoragePath

from iam_lifecycle.holdings import KINDS, Recorded

if TYPE_CHECKING:
    from iam_lifecycle.aws.iam_hook import IamHook

log = logging.getLogger(__name__)

SNAPSHOT_URI_VARIABLE = "iam_lifecycle_snapshot_uri"
SNAPSHOT_VERSION = 1
#: The file name ending of an addendum (what a run removed after its snapshot); a plain snapshot ends in ``.json``.
ADDENDUM_SUFFIX = ".addendum.json"
#: Beside a run's snapshot, written right before its DeleteUser is sent (not ``.json``: no snapshot, no report).
DELETE_SENT_SUFFIX = ".delete-sent"


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
    root = ObjectStoragePath(uri, conn_id=conn_id)
    if conn_id:
        # Airflow quietly falls back to a filesystem without the connection (AWS's own endpoint, the ambient
        # credentials) when it cannot make the connection's: a snapshot goes where the connection says, or nowhere.
        try:
            _ = root.fs
        except Exception as error:
            raise OSError(f"{uri} cannot be reached through connection {conn_id}: {error}") from error
    return root


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def recorded_holdings(holdings: dict[str, Any], documents: dict[str, Any]) -> dict[str, Any]:
    """Every kind as a snapshot records it (:class:`~iam_lifecycle.holdings.Recorded`), under its name."""
    fields: dict[str, Any] = {}
    for kind in KINDS:
        if kind.recorded is Recorded.DETAILS:
            fields[kind.name] = holdings[kind.details]
        elif kind.recorded is Recorded.DOCUMENTS:
            fields[kind.name] = {name: documents[name] for name in holdings[kind.name]}
        else:
            fields[kind.name] = holdings[kind.name]
    return fields


def build_snapshot(
    user: dict[str, Any],
    holdings: dict[str, Any],
    inline_documents: dict[str, Any],
    *,
    run_id: str,
    caller_arn: str,
    reason: str,
    taken_at: datetime.datetime,
    addendum_to: str | None = None,
    approved_by: str | None = None,
    requested_by: str | None = None,
) -> dict[str, Any]:
    """
    The snapshot document.

    :param user: as ``GetUserOperator`` returns it.
    :param holdings: as ``iam_lifecycle.offboarding.plan.list_holdings`` returns it.
    :param inline_documents: inline policy name -> policy document (the kinds recorded as documents).
    :param addendum_to: for what a run removed after its snapshot (items added during the run): the URI of the
        run's snapshot. An addendum is written beside it and is not a restore point of its own.
    :param approved_by: the people who approved the run in the Airflow UI, comma-separated (None: no approval
        was asked).
    :param requested_by: the Airflow user who triggered the run (or of the run whose approval it relies on), or
        "the schedule".
    """
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "taken_at": taken_at.isoformat(),
        "run_id": run_id,
        "caller_arn": caller_arn,
        "reason": reason,
        "approved_by": approved_by,
        "requested_by": requested_by,
        "user": {
            "UserName": user["UserName"],
            "UserId": user["UserId"],
            "Arn": user["Arn"],
            "Path": user["Path"],
            "CreateDate": user["CreateDate"],
            "Tags": user["Tags"],
            "PermissionsBoundary": user["PermissionsBoundary"],
        },
    } | recorded_holdings(holdings, inline_documents)
    if addendum_to:
        snapshot["addendum_to"] = addendum_to
    return snapshot


def write_user_snapshot(
    hook: IamHook,
    user: dict[str, Any],
    holdings: dict[str, Any],
    *,
    caller_arn: str,
    run_id: str,
    reason: str,
    addendum_to: str | None = None,
    approved_by: str | None = None,
    requested_by: str | None = None,
) -> str:
    """
    Fetch the inline policies' documents, write the user's snapshot and return its URI; raise if it can't.

    The one snapshot code path: offboarding, its DeleteConflict addenda and the reconciliation's disabling use it.

    :param hook: a hook on the user's account.
    """
    documents = {
        name: getattr(hook, kind.reader)(user["UserName"], name)
        for kind in KINDS
        if kind.recorded is Recorded.DOCUMENTS
        for name in holdings[kind.name]
    }
    snapshot = build_snapshot(
        user,
        holdings,
        documents,
        run_id=run_id,
        caller_arn=caller_arn,
        reason=reason,
        # Each attempt writes its own snapshot: a retry after a partial removal must not replace the first.
        taken_at=datetime.datetime.now(datetime.UTC),
        addendum_to=addendum_to,
        approved_by=approved_by,
        requested_by=requested_by,
    )
    uri = write_snapshot(snapshot, storage_root())
    log.info("Snapshot of %s written to %s", user["UserName"], uri)
    return uri


def write_snapshot(snapshot: dict[str, Any], root: ObjectStoragePath) -> str:
    """
    Write ``snapshot`` under ``root`` and read it back; return its URI.

    Raises if the write fails or what is read back differs, so the caller changes nothing without a snapshot.
    """
    taken_at = datetime.datetime.fromisoformat(snapshot["taken_at"]).astimezone(datetime.UTC)
    user = snapshot["user"]
    suffix = ADDENDUM_SUFFIX if "addendum_to" in snapshot else ".json"
    path = user_folder(root, user["Arn"], user["UserName"]) / f"{taken_at:%Y%m%dT%H%M%S.%fZ}{suffix}"
    uri = write_json(path, snapshot)
    if read_json(path) != snapshot:
        raise OSError(f"Snapshot at {uri} does not read back as written")
    return uri


def write_json(path: ObjectStoragePath, document: Any) -> str:
    """Write ``document`` as JSON at ``path`` (creating a local folder, never a bucket); return its URI."""
    if uri_of(path).startswith("file://"):
        # Object stores have no directories; creating one on S3 would create the bucket.
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True))
    return uri_of(path)


def uri_of(path: ObjectStoragePath) -> str:
    """The path as a plain URI (``str()`` would include the connection id)."""
    protocol = path.protocol if isinstance(path.protocol, str) else path.protocol[0]
    return f"{protocol}://{path.path}"


def read_json(path: ObjectStoragePath) -> Any:
    return json.loads(path.read_text())


def user_folder(root: ObjectStoragePath, user_arn: str, user_name: str) -> ObjectStoragePath:
    return root / account_of(user_arn) / user_name


def earlier_snapshots(root: ObjectStoragePath, user: dict[str, Any], before: str) -> list[str]:
    """
    URIs of the snapshots (not addenda) of this very user (same ``UserId``) taken before the one at ``before``,
    oldest first: those of earlier attempts that failed part way, or of a disabling. The oldest is the user as it
    was before the first change.
    """
    folder = user_folder(root, user["Arn"], user["UserName"])
    found = []
    for path in folder.iterdir() if folder.exists() else []:
        uri = uri_of(path)
        if uri == before or not path.name.endswith(".json") or path.name.endswith(ADDENDUM_SUFFIX):
            continue
        snapshot = read_json(path)
        if snapshot.get("user", {}).get("UserId") == user["UserId"]:
            found.append((snapshot["taken_at"], uri))
    return [uri for _, uri in sorted(found) if uri < before]


def addenda_of(snapshot_uri: str, aws_conn_id: str = "aws_default") -> list[tuple[str, dict[str, Any]]]:
    """
    The addenda written beside the snapshot at ``snapshot_uri`` that refer to it, oldest first, as (URI,
    document): those of every try of the run's DeleteUser, a retried try's included (its return value is lost).
    """
    if "://" not in snapshot_uri:
        return []
    folder = storage_root(snapshot_uri, aws_conn_id).parent
    found = []
    for path in folder.iterdir() if folder.exists() else []:
        if path.name.endswith(ADDENDUM_SUFFIX):
            addendum = read_json(path)
            if addendum.get("addendum_to") == snapshot_uri:
                found.append((uri_of(path), addendum))
    return sorted(found, key=lambda found_one: found_one[0])


def items_of(snapshot: dict[str, Any]) -> dict[str, list[str]]:
    """What a snapshot (or an addendum) records, by kind, as names, ARNs or ids (the login profile: the user's name)."""
    items: dict[str, list[str]] = {}
    for kind in KINDS:
        recorded = snapshot[kind.name]
        if kind.recorded is Recorded.DETAILS:
            recorded = [detail[kind.item_key] for detail in recorded]
        if found := kind.items(recorded, snapshot["user"]["UserName"]):  # a dict of documents gives its names
            items[kind.name] = found
    return items


def read_snapshot(uri: str, aws_conn_id: str = "aws_default") -> dict[str, Any]:
    """Load a snapshot written by :func:`write_snapshot`."""
    snapshot = read_json(storage_root(uri, aws_conn_id))
    if snapshot.get("version") != SNAPSHOT_VERSION or "user" not in snapshot:
        raise ValueError(f"{uri} is not an iam-lifecycle snapshot")
    return snapshot


def _delete_sent_path(snapshot_uri: str, aws_conn_id: str) -> ObjectStoragePath:
    snapshot = storage_root(snapshot_uri, aws_conn_id)
    return snapshot.parent / (snapshot.name.removesuffix(".json") + DELETE_SENT_SUFFIX)


def mark_delete_sent(snapshot_uri: str, run_id: str, try_number: int, aws_conn_id: str = "aws_default") -> None:
    """
    Record, beside the run's snapshot, that a try of the run is about to send DeleteUser: a later try of a task
    whose worker was lost after it (its answer never recorded) can then tell its own deletion from someone else's.
    """
    if "://" not in snapshot_uri:
        return  # no snapshot store (a test's bare operator): nothing to write beside
    document = {"run_id": run_id, "try_number": try_number, "at": datetime.datetime.now(datetime.UTC).isoformat()}
    write_json(_delete_sent_path(snapshot_uri, aws_conn_id), document)


def withdraw_delete_sent(snapshot_uri: str, aws_conn_id: str = "aws_default") -> None:
    """AWS answered that the DeleteUser recorded by :func:`mark_delete_sent` was not applied: the record goes."""
    if "://" in snapshot_uri:
        _delete_sent_path(snapshot_uri, aws_conn_id).unlink(missing_ok=True)


def delete_sent_before(snapshot_uri: str, aws_conn_id: str = "aws_default") -> bool:
    """Whether a try of the run that wrote ``snapshot_uri`` sent DeleteUser and got no refusal back."""
    return "://" in snapshot_uri and _delete_sent_path(snapshot_uri, aws_conn_id).exists()
