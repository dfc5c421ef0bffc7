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


def offboarding_message(
    user_name: str, caller_arn: str, reason: str, held: Mapping[str, list | bool], snapshot_uri: str
) -> str:
    """'IAM user NAME deleted by ARN', what the user held (all of it removed), why, and where the snapshot is."""
    lines = [f"IAM user {user_name} deleted by {caller_arn}", f"Removed: {removed_summary(held)}"]
    if reason:
        lines.append(f"Reason: {reason}")
    lines.append(f"Snapshot: {snapshot_uri}")
    return "\n".join(lines)


def _items(items: list | bool) -> str:
    if isinstance(items, bool):
        return "yes" if items else "no"
    return ", ".join(items) if items else "none"


def dry_run_message(user_name: str, caller_arn: str, plan: Mapping[str, list | bool]) -> str:
    """The plan of a dry run: every item a real run would remove, by kind."""
    lines = [f"DRY RUN: offboarding IAM user {user_name} as {caller_arn} would remove:"]
    for kind, (_, plural) in KIND_NAMES.items():
        label = "login profile" if kind == "login_profile" else plural
        lines.append(f"- {label}: {_items(plan[kind])}")
    lines.append("Nothing was changed.")
    return "\n".join(lines)


def failure_alert(slack_webhook_conn_id: str = "slack_default"):
    """A failure callback that posts the DAG, run, task, user and the error's first line to Slack."""
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    return SlackWebhookNotifier(
        slack_webhook_conn_id=slack_webhook_conn_id,
        text=(
            "FAILED: {{ dag.dag_id }} / {{ ti.task_id }} (run {{ run_id }})"
            "{% if params.get('user_name') %} for IAM user {{ params.user_name }}{% endif %}: "
            "{{ ((exception | string).strip().splitlines() or ['unknown error'])[0] }}"
        ),
    )
