"""The stale-user report of each account: a JSON document beside the snapshots, at
``<snapshot root>/reports/<account id>/<UTC timestamp>.json``."""

from __future__ import annotations

import datetime
from typing import Any

from airflow.sdk import ObjectStoragePath

from iam_lifecycle import snapshots
from iam_lifecycle.accounts.targets import member_fields
from iam_lifecycle.reconciliation.modes import mode_named

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
    ``delete``, or ``none``, with ``not_acted_on`` saying why for those over the cap), every exempt one, the
    unused credentials of any user (``unused_credentials``: ``revocable`` each with its ``action``, ``revoke`` or
    ``none``; ``exempt`` with the reason; ``not_judged``), and (``failed_accounts``) the run's other connections
    that could not be read, each with its error.

    :param plan: as ``iam_lifecycle.reconciliation.flow.plan_reconciliation`` returns it.
    :param finding: one of ``plan["accounts"]``.
    """
    acted = {(c["account"], c["user_name"]) for c in plan["selected"]}
    over_cap = {(c["account"], c["user_name"]) for c in plan["over_cap"]}

    def with_action(entry: dict[str, Any], mode: str) -> dict[str, Any]:
        key = (finding["account"], entry["user_name"])
        item = {**entry, "action": mode if plan["mode"] == mode and key in acted else "none"}
        if plan["mode"] == mode and key in over_cap:
            item["not_acted_on"] = f"over the cap (max_users={plan['max_users']})"
        elif mode == plan["mode"] and mode_named(mode).marks_disabled and key not in acted and entry["disabled_at"]:
            item["not_acted_on"] = f"already disabled on {entry['disabled_at']}"
        return item

    stale_mode = plan["mode"] if mode_named(plan["mode"]).acts_on_stale_users else "none"
    stale = [with_action(entry, stale_mode) for entry in finding["stale"]]
    unused = finding.get("unused_credentials", {"revocable": [], "exempt": [], "not_judged": []})
    unused = unused | {"revocable": [with_action(entry, "revoke") for entry in unused["revocable"]]}
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
        "unused_credentials": unused,
        "failed_accounts": plan["failed"],
    }


def write_report(report: dict[str, Any], root: ObjectStoragePath) -> str:
    """Write ``report`` at ``<root>/reports/<account>/<UTC timestamp>.json``; return its URI."""
    generated_at = datetime.datetime.fromisoformat(report["generated_at"]).astimezone(datetime.UTC)
    path = root / "reports" / report["account"] / f"{generated_at:%Y%m%dT%H%M%S.%fZ}.json"
    return snapshots.write_json(path, report)


def write_reports(
    plan: dict[str, Any],
    *,
    run_id: str,
    now: datetime.datetime,
    max_idle_days: int,
    requested_by: str | None = None,
) -> dict[str, str]:
    """
    Write every scanned account's report under the snapshot root; account id -> URI. ``requested_by``: who asked
    for the run (the Airflow user who triggered it, or the schedule), kept in each report.
    """
    root = snapshots.storage_root()
    generated_at = datetime.datetime.now(datetime.UTC)
    return {
        finding["account"]: write_report(
            account_report(
                plan, finding, run_id=run_id, now=now, max_idle_days=max_idle_days, generated_at=generated_at
            )
            | {"requested_by": requested_by},
            root,
        )
        for finding in plan["accounts"]
    }
