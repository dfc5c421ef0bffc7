"""The text of the Slack messages the lifecycle DAGs send."""

from __future__ import annotations

from collections.abc import Mapping

#: How each kind of removed thing is named in a message, singular and plural.
KIND_NAMES = {
    "managed_policies": ("managed policy", "managed policies"),
    "inline_policies": ("inline policy", "inline policies"),
    "groups": ("group membership", "group memberships"),
    "access_keys": ("access key", "access keys"),
    "ssh_public_keys": ("SSH public key", "SSH public keys"),
    "signing_certificates": ("signing certificate", "signing certificates"),
    "service_specific_credentials": ("service-specific credential", "service-specific credentials"),
    "mfa_devices": ("MFA device", "MFA devices"),
    "login_profile": ("login profile", "login profiles"),
}


def count_phrase(kind: str, count: int) -> str:
    singular, plural = KIND_NAMES[kind]
    return f"{count} {singular if count == 1 else plural}"


def item_count(items: list | bool) -> int:
    """How many items one kind's listing holds (``login_profile`` is a bool)."""
    return int(items) if isinstance(items, bool) else len(items)


def removed_summary(held: Mapping[str, list | bool]) -> str:
    """'12 managed policies, 2 inline policies, …' for the kinds the user held, or 'nothing'."""
    phrases = [count_phrase(kind, item_count(held[kind])) for kind in KIND_NAMES if held.get(kind)]
    return ", ".join(phrases) or "nothing"


def offboarding_message(user_name: str, caller_arn: str, reason: str, held: Mapping[str, list | bool]) -> str:
    """'IAM user NAME deleted by ARN', what the user held (all of it removed), and why."""
    lines = [f"IAM user {user_name} deleted by {caller_arn}", f"Removed: {removed_summary(held)}"]
    if reason:
        lines.append(f"Reason: {reason}")
    return "\n".join(lines)
