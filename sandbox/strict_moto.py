"""Make moto's IAM hold code to AWS's documented rules where moto is more lenient.

* DeleteUser: AWS answers 409 DeleteConflict while the user has a login profile, access key, signing
  certificate, SSH public key, service-specific credential, MFA device, inline policy, attached managed policy
  or group membership. moto refuses only for the two kinds of policy and silently drops the rest.
* Service-specific credentials: moto does not implement them; this adds Create, List (with MaxItems/Marker) and
  Delete with AWS's response shapes.
* CreateLoginProfile: moto ignores ``PasswordResetRequired``; this keeps it.
* User permissions boundaries: moto ignores them; this adds Put/DeleteUserPermissionsBoundary, CreateUser's
  ``PermissionsBoundary`` and the boundary in GetUser.
* Paging of ListUsers and GetAccountAuthorizationDetails: moto returns everything in one page whatever
  ``MaxItems`` says; AWS returns ``MaxItems`` items (default 100, at most 1000) and a ``Marker`` for the rest.
  This pages them like AWS, so a caller that does not follow ``Marker`` misses users, and call counts are AWS's.
* GetAccessKeyLastUsed: moto scans every access key of every account on each call (slow with thousands of
  users; AWS's cost does not grow with the account); this looks the key up by id first.

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
_original_list_users = IamResponse.list_users
_original_get_account_authorization_details = IamResponse.get_account_authorization_details
_original_get_access_key_last_used = IAMBackend.get_access_key_last_used
#: GetAccountAuthorizationDetails' lists, paged as one sequence in this order.
_AUTHORIZATION_DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


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


def _create_login_profile(self: IamResponse) -> ActionResult:
    user = self.backend.create_login_profile(self._get_param("UserName"), self._get_param("Password"))
    user.password_reset_required = str(self._get_param("PasswordResetRequired")).lower() == "true"
    return ActionResult(
        {
            "LoginProfile": {
                "UserName": user.name,
                "CreateDate": user.create_date,
                "PasswordResetRequired": user.password_reset_required,
            }
        }
    )


def _aws_page(response: IamResponse, items: list) -> tuple[list, dict]:
    """AWS's paging: ``MaxItems`` (default 100, at most 1000) items from ``Marker`` on, and the paging fields."""
    start = int(response._get_param("Marker") or 0)
    size = min(int(response._get_param("MaxItems") or 100), 1000)
    if start + size < len(items):
        return items[start : start + size], {"IsTruncated": True, "Marker": str(start + size)}
    return items[start:], {"IsTruncated": False}


def _list_users(self: IamResponse) -> ActionResult:
    result = dict(_original_list_users(self).result)
    result["Users"], paging = _aws_page(self, list(result["Users"]))
    return ActionResult(result | paging)


def _get_account_authorization_details(self: IamResponse) -> ActionResult:
    result = dict(_original_get_account_authorization_details(self).result)
    items = [(key, item) for key in _AUTHORIZATION_DETAIL_LISTS for item in result[key]]
    page, paging = _aws_page(self, items)
    for key in _AUTHORIZATION_DETAIL_LISTS:
        result[key] = [item for item_key, item in page if item_key == key]
    return ActionResult(result | paging)


def _get_access_key_last_used(self: IAMBackend, access_key_id: str) -> dict:
    key = self.access_keys.get(access_key_id)
    user = self.users.get(key.user_name) if key is not None and key.user_name else None
    if user is not None and key in user.access_keys:
        return {"user_name": key.user_name, "last_used": key.last_used}
    return _original_get_access_key_last_used(self, access_key_id)


def apply() -> None:
    """Patch moto's IAM in this process (idempotent)."""
    User.permissions_boundary = property(_user_permissions_boundary)
    IamResponse.create_user = _create_user
    IamResponse.create_login_profile = _create_login_profile
    IamResponse.put_user_permissions_boundary = _put_user_permissions_boundary
    IamResponse.delete_user_permissions_boundary = _delete_user_permissions_boundary
    IAMBackend.delete_user = _strict_delete_user
    IamResponse.create_service_specific_credential = _create_service_specific_credential
    IamResponse.list_service_specific_credentials = _list_service_specific_credentials
    IamResponse.delete_service_specific_credential = _delete_service_specific_credential
    IamResponse.list_users = _list_users
    IamResponse.get_account_authorization_details = _get_account_authorization_details
    IAMBackend.get_access_key_last_used = _get_access_key_last_used
