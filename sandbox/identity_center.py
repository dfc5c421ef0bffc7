"""Make moto's IAM Identity Center (identitystore, sso-admin) hold code to AWS's rules where moto is more lenient.

* DeleteUser (identitystore): AWS removes the user's group memberships with it; moto leaves them listed, so a
  group would still name a member who no longer exists. This removes them.
* DeleteAccountAssignment (sso-admin): AWS answers at once with ``Status: IN_PROGRESS`` and does the work
  asynchronously; DescribeAccountAssignmentDeletionStatus tells when it is ``SUCCEEDED`` or ``FAILED`` (with a
  ``FailureReason``). moto deletes at once and always answers SUCCEEDED. Here a deletion stays IN_PROGRESS
  (the assignment still listed) for ``in_progress_polls`` status reads (default 1), then ends; so a caller that
  never polls leaves the assignment in place, as it could not tell whether AWS did the work.
* CreateAccountAssignment: asynchronous on AWS too; here the assignment is made at once (moto) but its status
  reads IN_PROGRESS for the same ``in_progress_polls`` reads of DescribeAccountAssignmentCreationStatus.
* An assignment whose user or group no longer exists in the instance's identity store: AWS fails its deletion
  (hence: assignments go before the user). Here its deletion ends FAILED, the assignment left listed.
* moto's instance (ListInstances) has an IdentityStoreId that moto's identitystore does not know; here the
  principals of an assignment are looked up in the identity store of that id, so tests create users there.

Faults (:func:`configure`, from the sandbox server's ``POST /_sandbox/faults`` body's ``"identity_center"``):
``{"in_progress_polls": 2, "fail_deletions": [N, K], "deny": ["ListInstances"]}`` — the status reads each
deletion stays IN_PROGRESS for; N deletions after the first K end FAILED (``FailureReason`` says it was
injected); the Identity Center actions answered ``AccessDeniedException`` (the sandbox server answers them;
:func:`denial` gives the answer).

``apply()`` patches moto in this process; the sandbox moto server calls it before serving.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from moto.core.utils import unix_time
from moto.identitystore.models import IdentityStoreBackend, identitystore_backends
from moto.ssoadmin.models import SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

from sandbox import faults

_original_create_assignment = SSOAdminResponse.create_account_assignment
_original_creation_status = SSOAdminResponse.describe_account_assignment_creation_status

DEFAULTS: dict[str, Any] = {"in_progress_polls": 1, "fail_deletions": [0, 0], "deny": []}
#: The reason a deletion of a gone principal's assignment fails with (AWS words it differently; a test reads this).
PRINCIPAL_GONE = "The principal of this assignment does not exist in the identity store"
INJECTED_FAILURE = "Injected: the account assignment could not be deleted"
_config: dict[str, Any] = json.loads(json.dumps(DEFAULTS))
_lock = threading.Lock()
_original_delete_user = IdentityStoreBackend.delete_user


def configure(config: dict[str, Any] | None) -> None:
    """The Identity Center faults from now on (see the module's docstring); ``{}`` or None: AWS's behaviour only."""
    with _lock:
        _config.clear()
        _config.update(json.loads(json.dumps(DEFAULTS)))
        _config.update(json.loads(json.dumps(config or {})))


#: The signing names of Identity Center's APIs (sso-admin signs as ``sso``).
SERVICES = ("identitystore", "sso")


def denial(service: str, action: str) -> dict[str, Any] | None:
    """The AccessDeniedException answer (``Response`` keywords) for a denied Identity Center action, or None."""
    with _lock:
        if service not in SERVICES or action not in _config["deny"]:
            return None
    body = {"__type": "AccessDeniedException", "Message": f"Injected: not authorized to perform {action}"}
    return {"response": json.dumps(body), "status": 400, "mimetype": "application/x-amz-json-1.1"}


def _take_failure() -> bool:
    with _lock:
        return faults.take(_config["fail_deletions"])


def _strict_delete_user(self: IdentityStoreBackend, identity_store_id: str, user_id: str) -> None:
    store = self.identity_stores.get(identity_store_id)
    if store is not None and user_id in store.users:
        for membership_id, membership in list(store.group_memberships.items()):
            if membership["MemberId"].get("UserId") == user_id:
                del store.group_memberships[membership_id]
    _original_delete_user(self, identity_store_id, user_id)


def principal_exists(backend: SSOAdminBackend, instance_arn: str, principal_type: str, principal_id: str) -> bool:
    """Whether the user or group is in the identity store of the instance (moto's sso-admin never checks)."""
    store_ids = [i.identity_store_id for i in backend.instances if i.instance_arn == instance_arn]
    stores = identitystore_backends[backend.account_id][backend.region_name].identity_stores
    store = stores.get(store_ids[0]) if store_ids else None
    if store is None:
        return False
    return principal_id in (store.users if principal_type == "USER" else store.groups)


def _deletions(backend: SSOAdminBackend) -> dict[str, dict[str, Any]]:
    """The deletions requested in this backend, by request id (kept on the backend so a reset clears them)."""
    if not hasattr(backend, "sandbox_deletions"):
        backend.sandbox_deletions = {}
    return backend.sandbox_deletions


def _status(deletion: dict[str, Any]) -> dict[str, Any]:
    status = {**deletion["assignment"].to_json(), "RequestId": deletion["request_id"]}
    status.update(CreatedDate=deletion["created"], Status=deletion["state"])
    if deletion["state"] == "FAILED":
        status["FailureReason"] = deletion["failure"]
    return status


def _settle(backend: SSOAdminBackend, deletion: dict[str, Any]) -> None:
    """End the deletion once it has been read IN_PROGRESS enough times: FAILED, or the assignment removed."""
    if deletion["state"] != "IN_PROGRESS" or deletion["polls_left"] > 0:
        return
    if deletion["failure"]:
        deletion["state"] = "FAILED"
        return
    if deletion["assignment"] in backend.account_assignments:
        backend.account_assignments.remove(deletion["assignment"])
    deletion["state"] = "SUCCEEDED"


def _delete_account_assignment(self: SSOAdminResponse) -> str:
    params = json.loads(self.body)
    backend = self.ssoadmin_backend
    assignment = backend._find_account(  # ResourceNotFoundException when there is no such assignment
        params.get("InstanceArn"),
        params.get("TargetId"),
        params.get("TargetType"),
        params.get("PermissionSetArn"),
        params.get("PrincipalType"),
        params.get("PrincipalId"),
    )
    failure = None
    if not principal_exists(backend, assignment.instance_arn, assignment.principal_type, assignment.principal_id):
        failure = PRINCIPAL_GONE
    elif _take_failure():
        failure = INJECTED_FAILURE
    with _lock:
        polls = int(_config["in_progress_polls"])
    deletion = {
        "request_id": str(uuid.uuid4()),
        "assignment": assignment,
        "created": unix_time(),
        "state": "IN_PROGRESS",
        "polls_left": polls,
        "failure": failure,
    }
    _deletions(backend)[deletion["request_id"]] = deletion
    answer = _status(deletion)
    _settle(backend, deletion)  # no IN_PROGRESS read asked for: done before the answer, as moto does
    return json.dumps({"AccountAssignmentDeletionStatus": answer if polls else _status(deletion)})


def _describe_account_assignment_deletion_status(self: SSOAdminResponse) -> str:
    from moto.ssoadmin.exceptions import ResourceNotFoundException

    backend = self.ssoadmin_backend
    deletion = _deletions(backend).get(self._get_param("AccountAssignmentDeletionRequestId"))
    if deletion is None:
        raise ResourceNotFoundException("No such account assignment deletion request")
    answer = _status(deletion)
    if deletion["state"] == "IN_PROGRESS":
        deletion["polls_left"] -= 1
        _settle(backend, deletion)
    return json.dumps({"AccountAssignmentDeletionStatus": answer})


def _creations(backend: SSOAdminBackend) -> dict[str, int]:
    """The IN_PROGRESS reads left of each creation, by request id (on the backend, so a reset clears them)."""
    if not hasattr(backend, "sandbox_creations"):
        backend.sandbox_creations = {}
    return backend.sandbox_creations


def _create_account_assignment(self: SSOAdminResponse) -> str:
    answer = json.loads(_original_create_assignment(self))
    with _lock:
        polls = int(_config["in_progress_polls"])
    if polls:
        status = answer["AccountAssignmentCreationStatus"]
        _creations(self.ssoadmin_backend)[status["RequestId"]] = polls
        status["Status"] = "IN_PROGRESS"
    return json.dumps(answer)


def _describe_account_assignment_creation_status(self: SSOAdminResponse) -> str:
    answer = json.loads(_original_creation_status(self))
    status, pending = answer["AccountAssignmentCreationStatus"], _creations(self.ssoadmin_backend)
    if pending.get(status["RequestId"], 0) > 0:
        pending[status["RequestId"]] -= 1
        status["Status"] = "IN_PROGRESS"
    return json.dumps(answer)


def apply() -> None:
    """Patch moto's identitystore and sso-admin in this process (idempotent)."""
    IdentityStoreBackend.delete_user = _strict_delete_user
    SSOAdminResponse.delete_account_assignment = _delete_account_assignment
    SSOAdminResponse.describe_account_assignment_deletion_status = _describe_account_assignment_deletion_status
    SSOAdminResponse.create_account_assignment = _create_account_assignment
    SSOAdminResponse.describe_account_assignment_creation_status = _describe_account_assignment_creation_status


class Seed:
    """Arrange an Identity Center for a test, a benchmark or a local stack: users, groups and assignments in the
    (one) instance moto's sso-admin lists, with plain boto3 ``sso-admin`` and ``identitystore`` clients."""

    def __init__(self, sso: Any, ids: Any) -> None:
        self.sso, self.ids = sso, ids
        [instance] = sso.list_instances()["Instances"]
        self.instance_arn, self.store_id = instance["InstanceArn"], instance["IdentityStoreId"]

    def user(self, user_name: str, **attributes: Any) -> str:
        """Create a user (moto requires a display name and a given and family name); its UserId."""
        name = attributes.pop("Name", {"GivenName": user_name.title(), "FamilyName": "Example"})
        created = self.ids.create_user(
            IdentityStoreId=self.store_id,
            UserName=user_name,
            DisplayName=attributes.pop("DisplayName", user_name.title()),
            Name=name,
            Emails=attributes.pop("Emails", [{"Value": f"{user_name}@example.com", "Type": "work", "Primary": True}]),
            **attributes,
        )
        return created["UserId"]

    def group(self, name: str, *member_ids: str) -> str:
        """Create a group with these members; its GroupId."""
        group_id = self.ids.create_group(IdentityStoreId=self.store_id, DisplayName=name)["GroupId"]
        for member_id in member_ids:
            self.ids.create_group_membership(
                IdentityStoreId=self.store_id, GroupId=group_id, MemberId={"UserId": member_id}
            )
        return group_id

    def permission_set(self, name: str) -> str:
        """Create a permission set; its ARN."""
        return self.sso.create_permission_set(Name=name, InstanceArn=self.instance_arn)["PermissionSet"][
            "PermissionSetArn"
        ]

    def assign(self, account: str, permission_set_arn: str, principal_id: str, principal_type: str = "USER") -> None:
        """Assign the permission set in ``account`` to a user (or a ``GROUP``)."""
        self.sso.create_account_assignment(
            InstanceArn=self.instance_arn,
            TargetId=account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn,
            PrincipalType=principal_type,
            PrincipalId=principal_id,
        )

    def assignments(self, principal_id: str, principal_type: str = "USER") -> list[tuple[str, str]]:
        """The principal's assignments as (account, permission set ARN), sorted, read independently of the code."""
        found = self.sso.list_account_assignments_for_principal(
            InstanceArn=self.instance_arn, PrincipalId=principal_id, PrincipalType=principal_type
        )["AccountAssignments"]
        return sorted((a["AccountId"], a["PermissionSetArn"]) for a in found)

    def user_id(self, user_name: str) -> str | None:
        """The UserId of the user with that UserName, or None."""
        try:
            return self.ids.get_user_id(
                IdentityStoreId=self.store_id,
                AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}},
            )["UserId"]
        except self.ids.exceptions.ResourceNotFoundException:
            return None

    def memberships(self, group_id: str) -> list[str]:
        """The UserIds of the group's members."""
        found = self.ids.list_group_memberships(IdentityStoreId=self.store_id, GroupId=group_id)["GroupMemberships"]
        return sorted(m["MemberId"]["UserId"] for m in found)
