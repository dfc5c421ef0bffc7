"""Make moto's IAM hold code to AWS's documented rules where moto is more lenient.

* DeleteUser: AWS answers 409 DeleteConflict while the user has a login profile, access key, signing
  certificate, SSH public key, service-specific credential, MFA device, inline policy, attached managed policy
  or group membership. moto refuses only for the two kinds of policy and silently drops the rest.
* Service-specific credentials: moto does not implement them; this adds Create, List (with MaxItems/Marker) and
  Delete with AWS's response shapes.
* User permissions boundaries: moto ignores them; this adds Put/DeleteUserPermissionsBoundary, CreateUser's
  ``PermissionsBoundary`` and the boundary in GetUser.

``apply()`` patches moto in this process; the sandbox moto server calls it before serving.
"""

from __future__ import annotations

import secrets
import string

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.iam.exceptions import DeleteConflictException, NotFoundException
from moto.iam.models import IAMBackend, User
from moto.iam.responses import IamResponse

_original_delete_user = IAMBackend.delete_user
_original_create_user = IamResponse.create_user


def _service_credentials(backend: IAMBackend) -> dict[str, list[dict]]:
    """Per user name, that user's service-specific credentials (kept on the backend so resets clear them)."""
    if not hasattr(backend, "sandbox_service_credentials"):
        backend.sandbox_service_credentials = {}
    return backend.sandbox_service_credentials


def delete_conflicts(backend: IAMBackend, user_name: str) -> list[str]:
    """What AWS would name as still attached to the user, in a DeleteConflict."""
    user = backend.get_user(user_name)
    held = {
        "login profile": bool(user.password),
        "access keys": bool(user.access_keys),
        "signing certificates": bool(user.signing_certificates),
        "SSH public keys": bool(user.ssh_public_keys),
        "service-specific credentials": bool(_service_credentials(backend).get(user_name)),
        "MFA devices": bool(user.mfa_devices),
        "inline policies": bool(user.policies),
        "attached policies": bool(user.managed_policies),
        "groups": bool(backend.get_groups_for_user(user_name)),
    }
    return [kind for kind, present in held.items() if present]


def _strict_delete_user(self: IAMBackend, user_name: str) -> None:
    conflicts = delete_conflicts(self, user_name)
    if conflicts:
        raise DeleteConflictException(f"Cannot delete entity, must remove {', '.join(conflicts)} first.")
    _original_delete_user(self, user_name)
    _service_credentials(self).pop(user_name, None)


def _credential_metadata(credential: dict) -> dict:
    return {k: v for k, v in credential.items() if k != "ServicePassword"}


def _create_service_specific_credential(self: IamResponse) -> ActionResult:
    user_name = self._get_param("UserName")
    self.backend.get_user(user_name)
    alphabet = string.ascii_uppercase + string.digits
    credential = {
        "CreateDate": utcnow(),
        "ServiceName": self._get_param("ServiceName"),
        "ServiceUserName": f"{user_name}-at-{self.current_account}",
        "ServicePassword": secrets.token_urlsafe(30),
        "ServiceSpecificCredentialId": "ACCA" + "".join(secrets.choice(alphabet) for _ in range(17)),
        "UserName": user_name,
        "Status": "Active",
    }
    _service_credentials(self.backend).setdefault(user_name, []).append(credential)
    return ActionResult({"ServiceSpecificCredential": credential})


def _list_service_specific_credentials(self: IamResponse) -> ActionResult:
    user_name = self._get_param("UserName")
    self.backend.get_user(user_name)
    credentials = _service_credentials(self.backend).get(user_name, [])
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or 100)
    page = credentials[start : start + size]
    result = {"ServiceSpecificCredentials": [_credential_metadata(c) for c in page]}
    if start + size < len(credentials):
        result.update(IsTruncated=True, Marker=str(start + size))
    else:
        result["IsTruncated"] = False
    return ActionResult(result)


def _delete_service_specific_credential(self: IamResponse) -> EmptyResult:
    user_name = self._get_param("UserName")
    credential_id = self._get_param("ServiceSpecificCredentialId")
    self.backend.get_user(user_name)
    credentials = _service_credentials(self.backend).get(user_name, [])
    remaining = [c for c in credentials if c["ServiceSpecificCredentialId"] != credential_id]
    if len(remaining) == len(credentials):
        raise NotFoundException(f"No such service-specific credential: {credential_id}")
    _service_credentials(self.backend)[user_name] = remaining
    return EmptyResult()


def _user_permissions_boundary(user: User) -> dict | None:
    arn = getattr(user, "sandbox_permissions_boundary_arn", None)
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn} if arn else None


def _set_user_permissions_boundary(response: IamResponse, arn: str | None) -> None:
    response.backend.get_user(response._get_param("UserName")).sandbox_permissions_boundary_arn = arn


def _create_user(self: IamResponse) -> ActionResult:
    result = _original_create_user(self)
    if boundary := self._get_param("PermissionsBoundary"):
        _set_user_permissions_boundary(self, boundary)
    return result


def _put_user_permissions_boundary(self: IamResponse) -> EmptyResult:
    _set_user_permissions_boundary(self, self._get_param("PermissionsBoundary"))
    return EmptyResult()


def _delete_user_permissions_boundary(self: IamResponse) -> EmptyResult:
    _set_user_permissions_boundary(self, None)
    return EmptyResult()


def apply() -> None:
    """Patch moto's IAM in this process (idempotent)."""
    User.permissions_boundary = property(_user_permissions_boundary)
    IamResponse.create_user = _create_user
    IamResponse.put_user_permissions_boundary = _put_user_permissions_boundary
    IamResponse.delete_user_permissions_boundary = _delete_user_permissions_boundary
    IAMBackend.delete_user = _strict_delete_user
    IamResponse.create_service_specific_credential = _create_service_specific_credential
    IamResponse.list_service_specific_credentials = _list_service_specific_credentials
    IamResponse.delete_service_specific_credential = _delete_service_specific_credential
