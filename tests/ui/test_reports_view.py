"""The reconciliation's reports on the page: each account's latest report as tables, and its counts over time."""

from __future__ import annotations

from iam_lifecycle.ui import store
from iam_lifecycle.ui.reports_view import chart, reports_page

ACCOUNT = "123456789012"


def report(generated_at: str, stale: int, run_id: str = "manual__1") -> dict:
    return {
        "generated_at": generated_at,
        "run_id": run_id,
        "account": ACCOUNT,
        "mode": "disable",
        "max_idle_days": 90,
        "requested_by": "the schedule",
        "stale": [
            {
                "user_name": f"stale.{n}",
                "idle_days": 200 - n,
                "last_used": None,
                "idle_credentials": ["password"],
                "action": "disable" if n == 0 else "none",
                **({"not_acted_on": "over the cap (max_users=1)"} if n else {}),
            }
            for n in range(stale)
        ],  # fmt: skip
        "exempt": [{"user_name": "audit.readonly", "reason": "tagged lifecycle:protected=true"}],
        "unused_credentials": {
            "revocable": [
                {
                    "user_name": "idle.keys",
                    "idle_days": 120,
                    "action": "none",
                    "credentials": [
                        {"credential": "access_key_1", "last_used": "2026-08-01T00:00:00+00:00"},
                        {"credential": "access_key_2", "last_used": None},
                    ],
                }
            ],  # fmt: skip
            "exempt": [],
            "not_judged": [],
        },
    }


def test_the_latest_report_of_each_account_reads_as_tables_with_what_the_run_did():
    reports = {"file:///r/1.json": report("2026-11-01T00:00:00+00:00", 1), "file:///r/2.json": report(
        "2026-12-01T00:00:00+00:00", 2, "manual__2")}  # fmt: skip
    summaries = [store.report_summary(uri, document) for uri, document in reports.items()]

    page = reports_page(summaries, reports.__getitem__, base="/iam-lifecycle", server="")

    assert f"Account {ACCOUNT}" in page and "manual__2" in page
    assert "<td>stale.1</td><td>199</td>" in page and "over the cap (max_users=1)" in page
    assert "<td>idle.keys</td><td>access_key_1, access_key_2</td><td>120</td><td>2026-08-01T00:00:00+00:00</td>" in page
    assert "audit.readonly" in page


def test_the_chart_draws_a_point_per_report_for_stale_users_and_unused_credentials():
    summaries = [
        store.report_summary(f"file:///r/{n}.json", report(f"2026-12-0{n}T00:00:00+00:00", n)) for n in (1, 2, 3)
    ]

    svg = chart(summaries)

    assert svg.count("<polyline") == 2 and svg.count("<circle") == 6
    assert "2026-12-03T00:00: 3 stale users" in svg and "2026-12-01T00:00: 2 unused credentials" in svg
