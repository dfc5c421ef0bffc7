"""Create IAM users holding every kind of thing AWS requires removed before DeleteUser (for demos and tests)."""

from __future__ import annotations

import datetime
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

try:
    from iam_lifecycle.holdings import KINDS, Kind
except ModuleNotFoundError:  # run from the source tree without the package installed (make demo): its folder
    sys.path.append(str(Path(__file__).resolve().parent.parent / "plugins"))
    from iam_lifecycle.holdings import KINDS, Kind

PASSWORD = "Sandbox-Passw0rd!"


def _policy_document(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def _ssh_public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _certificate(common_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _ensure_policy(iam, name: str) -> str:
    try:
        return iam.create_policy(PolicyName=name, PolicyDocument=_policy_document("s3:ListBucket"))["Policy"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        paginator = iam.get_paginator("list_policies")
        for page in paginator.paginate(Scope="Local"):
            for policy in page["Policies"]:
                if policy["PolicyName"] == name:
                    return policy["Arn"]
        raise LookupError(f"policy {name} exists but was not listed") from None


def _ensure_group(iam, name: str) -> None:
    try:
        iam.create_group(GroupName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        pass


def _attach_policy(iam, user_name: str, i: int) -> str:
    arn = _ensure_policy(iam, f"team-policy-{i}")
    iam.attach_user_policy(UserName=user_name, PolicyArn=arn)
    return arn


def _put_inline_policy(iam, user_name: str, i: int) -> str:
    iam.put_user_policy(UserName=user_name, PolicyName=f"inline-{i}", PolicyDocument=_policy_document(f"sqs:Get{i}"))
    return f"inline-{i}"


def _join_group(iam, user_name: str, i: int) -> str:
    _ensure_group(iam, f"team-group-{i}")
    iam.add_user_to_group(UserName=user_name, GroupName=f"team-group-{i}")
    return f"team-group-{i}"


def _create_access_key(iam, user_name: str, i: int) -> str:
    return iam.create_access_key(UserName=user_name)["AccessKey"]["AccessKeyId"]


def _upload_ssh_public_key(iam, user_name: str, i: int) -> str:
    key = iam.upload_ssh_public_key(UserName=user_name, SSHPublicKeyBody=_ssh_public_key())
    return key["SSHPublicKey"]["SSHPublicKeyId"]


def _upload_signing_certificate(iam, user_name: str, i: int) -> str:
    return iam.upload_signing_certificate(UserName=user_name, CertificateBody=_certificate(user_name))["Certificate"][
        "CertificateId"
    ]


def _create_service_specific_credential(iam, user_name: str, i: int) -> str:
    credential = iam.create_service_specific_credential(UserName=user_name, ServiceName="codecommit.amazonaws.com")
    return credential["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]


def _enable_virtual_mfa_device(iam, user_name: str, i: int) -> str:
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user_name}-mfa-{i}")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName=user_name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    return serial


def _create_login_profile(iam, user_name: str, i: int) -> str:
    iam.create_login_profile(UserName=user_name, Password=PASSWORD)
    return user_name


#: How the sandbox gives a user one item of each kind of ``iam_lifecycle.holdings.KINDS``, and how many a user
#: holding everything has (:data:`EVERYTHING`).
SEEDERS: dict[str, tuple[int, Callable[[Any, str, int], str]]] = {
    "managed_policies": (12, _attach_policy),
    "inline_policies": (2, _put_inline_policy),
    "groups": (3, _join_group),
    "access_keys": (2, _create_access_key),
    "ssh_public_keys": (1, _upload_ssh_public_key),
    "signing_certificates": (1, _upload_signing_certificate),
    "service_specific_credentials": (1, _create_service_specific_credential),
    "mfa_devices": (1, _enable_virtual_mfa_device),
    "login_profile": (1, _create_login_profile),
}


def _shape(count_of: Callable[[Kind], int]) -> dict[str, int | bool]:
    """A seed shape: how many of each kind (a presence kind: whether the user has one)."""
    return {kind.name: bool(count_of(kind)) if kind.presence else count_of(kind) for kind in KINDS}


#: Shapes: counts per kind (``iam_lifecycle.holdings.KINDS``), the login profile a bool.
EVERYTHING = _shape(lambda kind: SEEDERS.get(kind.name, (0, None))[0])  # a kind without a seeder: tests name it
NOTHING = _shape(lambda kind: 0)
ONE_OF_EACH = _shape(lambda kind: 1)


def seed_user(
    iam, user_name: str, shape: dict[str, Any] = EVERYTHING, tags: dict[str, str] | None = None, path: str = "/"
) -> dict[str, Any]:
    """
    Create ``user_name`` holding ``shape`` (counts per kind); return what it holds, as the offboarding lists it
    (without the access keys' details).

    Managed policies and groups are shared between users (``team-policy-N``, ``team-group-N``), so a bystander
    seeded alongside shares them with the user being offboarded.
    """
    iam.create_user(UserName=user_name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    held: dict[str, Any] = {}
    for kind in KINDS:
        _, make = SEEDERS[kind.name]
        made = [make(iam, user_name, i) for i in range(int(shape[kind.name]))]
        held[kind.name] = bool(made) if kind.presence else made
    return held


#: Users to try ``iam_stale_user_reconciliation`` on (``make airflow``), each created 200 days ago with a console
#: password and an access key: name -> (what a run with the default 90 days finds, tags, days since both
#: credentials were last used, None for never).
BACK_DATED_USERS: dict[str, tuple[str, dict[str, str], int | None]] = {
    "former.contractor": ("stale, last used 150 days ago", {}, 150),
    "unused.service": ("stale, never used", {}, None),
    "audit.readonly": ("stale but exempt (tag lifecycle:protected=true)", {"lifecycle:protected": "true"}, None),
    "active.engineer": ("not stale, used yesterday", {}, 1),
}


def seed_back_dated_users(iam, moto_url: str, now: datetime.datetime | None = None) -> dict[str, str]:
    """
    Create :data:`BACK_DATED_USERS` on a sandbox moto server and back-date them through its
    ``POST /_sandbox/users/<name>/dates`` (see ``sandbox.moto_server``); return name -> what reconciliation finds.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    for name, (_, tags, days_unused) in BACK_DATED_USERS.items():
        seed_user(iam, name, NOTHING | {"access_keys": 1, "login_profile": True}, tags=tags)
        used = None if days_unused is None else (now - datetime.timedelta(days=days_unused)).isoformat()
        dates = {
            "create_date": (now - datetime.timedelta(days=200)).isoformat(),
            "password_last_used": used,
            "access_key_last_used": [used],
        }
        set_user_dates(moto_url, name, dates)
    return {name: finding for name, (finding, _, _) in BACK_DATED_USERS.items()}


def set_user_dates(moto_url: str, name: str, dates: dict[str, Any]) -> None:
    """Back-date a user on a sandbox moto server (``POST /_sandbox/users/<name>/dates``, see sandbox.moto_server)."""
    request = urllib.request.Request(
        f"{moto_url}/_sandbox/users/{urllib.parse.quote(name)}/dates",
        data=json.dumps(dates).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()
