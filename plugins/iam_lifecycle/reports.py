"""The stale-user report of each account: a JSON document beside the snapshots, at
``<snapshot root>/reports/<account id>/<UTC timestamp>.json``."""

from __future__ import annotations

import datetime
from typing import Any

from airflow.sdk import ObjectStoragePath

from iam_lifecycle import snapshots
from iam_lifecycle.targets import member_fields

REPORT_VERSION = 1


def account_report(
    plan: dict[str, Any],
    finding: dict[str, Any],
    *,
    run_id: str,
    now: datetime.datetime,
    max_idle_days: int,
    generated_at: datetime.datetime,
) -> dict[str, Any]:
    """
    The JSON report of one account: every stale user (``action``: what this run does to it: ``disable``,
    ``delete``, or ``none``, with ``not_acted_on`` saying why for those over the cap), every exempt one, and
    (``failed_accounts``) the run's other connections that could not be read, each with its error.

    :param plan: as ``iam_lifecycle.reconciliation.plan_reconciliation`` returns it.
    :param finding: one of ``plan["accounts"]``.
    """
    acted = {(c["account"], c["user_name"]) for c in plan["selected"]}
    over_cap = {(c["account"], c["user_name"]) for c in plan["over_cap"]}
    stale = []
    for entry in finding["stale"]:
        key = (finding["account"], entry["user_name"])
        item = {**entry, "action": plan["mode"] if key in acted else "none"}
        if key in over_cap:
            item["not_acted_on"] = f"over the cap (max_users={plan['max_users']})"
        elif plan["mode"] == "disable" and key not in acted and entry["disabled_at"]:
            item["not_acted_on"] = f"already disabled on {entry['disabled_at']}"
        stale.append(item)
    return {
        "version": REPORT_VERSION,
        "generated_at": generated_at.isoformat(),
        "run_id": run_id,
        "now": now.isoformat(),
        "max_idle_days": max_idle_days,
        "mode": plan["mode"],
        "max_users": plan["max_users"],
        "aws_conn_id": finding["aws_conn_id"],
        **member_fields(finding),  # a member account of an organization: its name and the role assumed
        "account": finding["account"],
        "caller_arn": finding["caller_arn"],
        "users_scanned": finding["users_scanned"],
        "stale": stale,
        "exempt": finding["exempt"],
        "failed_accounts": plan["failed"],
    }


def write_report(report: dict[str, Any], root: ObjectStoragePath) -> str:
    """Write ``report`` at ``<root>/reports/<account>/<UTC timestamp>.json``; return its URI."""
    generated_at = datetime.datetime.fromisoformat(report["generated_at"]).astimezone(datetime.UTC)
    path = root / "reports" / report["account"] / f"{generated_at:%Y%m%dT%H%M%S.%fZ}.json"
    return snapshots.write_json(path, report)


def write_reports(plan: dict[str, Any], *, run_id: str, now: datetime.datetime, max_idle_days: int) -> dict[str, str]:
    """Write every scanned account's report under the snapshot root; account id -> URI."""
    root = snapshots.storage_root()
    generated_at = datetime.datetime.now(datetime.UTC)
    return {
        finding["account"]: write_report(
            account_report(
                plan, finding, run_id=run_id, now=now, max_idle_days=max_idle_days, generated_at=generated_at
            ),
            root,
        )
        for finding in plan["accounts"]
    }
