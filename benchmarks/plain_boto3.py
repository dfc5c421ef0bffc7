"""A plain boto3 offboarding script: the outside reference that benchmark 1 compares the offboarding DAG with.

Written as one would write a one-off script from AWS's documentation of DeleteUser, which refuses to delete a user
that still has a password (login profile), access keys, signing certificates, SSH public keys, service-specific
credentials (Git credentials), MFA devices, inline policies, attached managed policies or group memberships. So:
delete the login profile, then list each other kind to the end (paginators; ``ListServiceSpecificCredentials``
has none in boto3, so by ``Marker``) and remove each item with its one call — an MFA device is deactivated and,
when virtual, deleted too — and finally DeleteUser.

Nothing else is called: no GetUser (the first call already answers NoSuchEntity for a missing user), no
GetLoginProfile (DeleteLoginProfile answers NoSuchEntity when there is no password, which is fine), no snapshot,
no protection check, no second look before DeleteUser. These are the fewest calls a correct offboarding makes.

It imports nothing of this project, only boto3::

    python -m benchmarks.plain_boto3 USER_NAME [--endpoint-url URL]

Credentials and region come from boto3's usual sources. It prints one JSON line: the seconds the offboarding took
(the client already made) and how many items of each kind it removed.
"""

from __future__ import annotations

import argparse
import json
import time

import boto3

PAGE = {"PageSize": 1000}  # IAM's largest page: the fewest list calls


def _paged(iam, operation: str, key: str, user_name: str) -> list:
    items = []
    for page in iam.get_paginator(operation).paginate(UserName=user_name, PaginationConfig=PAGE):
        items.extend(page[key])
    return items


def _service_specific_credentials(iam, user_name: str) -> list:
    items, marker = [], {}
    while True:
        page = iam.list_service_specific_credentials(UserName=user_name, **marker)
        items.extend(page["ServiceSpecificCredentials"])
        if not page.get("IsTruncated"):
            return items
        marker = {"Marker": page["Marker"]}


def offboard(iam, user_name: str) -> dict[str, int]:
    """Remove everything DeleteUser requires gone, then delete the user; return how many items of each kind."""
    removed: dict[str, int] = {}
    try:
        iam.delete_login_profile(UserName=user_name)
        removed["login_profile"] = 1
    except iam.exceptions.NoSuchEntityException:
        removed["login_profile"] = 0

    keys = _paged(iam, "list_access_keys", "AccessKeyMetadata", user_name)
    for key in keys:
        iam.delete_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"])
    certificates = _paged(iam, "list_signing_certificates", "Certificates", user_name)
    for certificate in certificates:
        iam.delete_signing_certificate(UserName=user_name, CertificateId=certificate["CertificateId"])
    ssh_keys = _paged(iam, "list_ssh_public_keys", "SSHPublicKeys", user_name)
    for ssh_key in ssh_keys:
        iam.delete_ssh_public_key(UserName=user_name, SSHPublicKeyId=ssh_key["SSHPublicKeyId"])
    credentials = _service_specific_credentials(iam, user_name)
    for credential in credentials:
        iam.delete_service_specific_credential(
            UserName=user_name, ServiceSpecificCredentialId=credential["ServiceSpecificCredentialId"]
        )
    devices = _paged(iam, "list_mfa_devices", "MFADevices", user_name)
    for device in devices:
        iam.deactivate_mfa_device(UserName=user_name, SerialNumber=device["SerialNumber"])
        if ":mfa/" in device["SerialNumber"]:  # virtual: delete it, or the person cannot enrol a new one
            iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    inline = _paged(iam, "list_user_policies", "PolicyNames", user_name)
    for name in inline:
        iam.delete_user_policy(UserName=user_name, PolicyName=name)
    attached = _paged(iam, "list_attached_user_policies", "AttachedPolicies", user_name)
    for policy in attached:
        iam.detach_user_policy(UserName=user_name, PolicyArn=policy["PolicyArn"])
    groups = _paged(iam, "list_groups_for_user", "Groups", user_name)
    for group in groups:
        iam.remove_user_from_group(UserName=user_name, GroupName=group["GroupName"])

    iam.delete_user(UserName=user_name)
    return removed | {
        "access_keys": len(keys),
        "signing_certificates": len(certificates),
        "ssh_public_keys": len(ssh_keys),
        "service_specific_credentials": len(credentials),
        "mfa_devices": len(devices),
        "inline_policies": len(inline),
        "managed_policies": len(attached),
        "groups": len(groups),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user_name")
    parser.add_argument("--endpoint-url", help="e.g. a sandbox moto server; AWS itself when left out")
    args = parser.parse_args(argv)
    iam = boto3.client("iam", endpoint_url=args.endpoint_url)
    started = time.perf_counter()
    removed = offboard(iam, args.user_name)
    print(json.dumps({"seconds": time.perf_counter() - started, "removed": removed}))


if __name__ == "__main__":
    main()
