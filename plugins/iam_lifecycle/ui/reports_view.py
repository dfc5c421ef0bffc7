"""The reconciliation's reports on the page: each account's latest report as tables, and a chart over time of its
stale users and unused credentials (inline SVG: no script, no library)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

from iam_lifecycle.ui.render import run_link

CHART_WIDTH, CHART_HEIGHT, MARGIN = 640, 180, 30
SERIES = (("stale", "stale users", "#c53030"), ("unused_credentials", "unused credentials", "#2b6cb0"))


def by_account(reports: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Account -> its report summaries, oldest first."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for report in sorted(reports, key=lambda r: r["generated_at"]):
        found.setdefault(report["account"], []).append(report)
    return found


def chart(points: list[Mapping[str, Any]]) -> str:
    """An SVG line chart of each series over the reports (one point per report, in time order)."""
    top = max([1] + [int(p[key]) for p in points for key, _, _ in SERIES])
    step = (CHART_WIDTH - 2 * MARGIN) / max(1, len(points) - 1)

    def xy(i: int, value: int) -> str:
        return f"{MARGIN + i * step:.1f},{CHART_HEIGHT - MARGIN - value * (CHART_HEIGHT - 2 * MARGIN) / top:.1f}"

    lines = []
    for key, label, colour in SERIES:
        coords = " ".join(xy(i, int(p[key])) for i, p in enumerate(points))
        dots = "".join(
            f"<circle cx='{xy(i, int(p[key])).split(',')[0]}' cy='{xy(i, int(p[key])).split(',')[1]}' r='3' "
            f"fill='{colour}'><title>{escape(p['generated_at'][:16])}: {p[key]} {label}</title></circle>"
            for i, p in enumerate(points)
        )
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'/>{dots}")
    legend = "".join(
        f"<text x='{MARGIN + 170 * n}' y='14' fill='{colour}' font-size='12'>■ {label}</text>"
        for n, (_, label, colour) in enumerate(SERIES)
    )
    axis = (
        f"<line x1='{MARGIN}' y1='{CHART_HEIGHT - MARGIN}' x2='{CHART_WIDTH - MARGIN}' y2='{CHART_HEIGHT - MARGIN}' "
        f"stroke='#a0aec0'/><text x='4' y='{MARGIN + 4}' font-size='11'>{top}</text>"
        f"<text x='4' y='{CHART_HEIGHT - MARGIN}' font-size='11'>0</text>"
        f"<text x='{MARGIN}' y='{CHART_HEIGHT - 8}' font-size='11'>{escape(points[0]['generated_at'][:10])}</text>"
        f"<text x='{CHART_WIDTH - MARGIN}' y='{CHART_HEIGHT - 8}' font-size='11' text-anchor='end'>"
        f"{escape(points[-1]['generated_at'][:10])}</text>"
    )
    return (
        f"<svg class='chart' width='{CHART_WIDTH}' height='{CHART_HEIGHT}' role='img' "
        f"aria-label='stale users and unused credentials over time'>{legend}{axis}{''.join(lines)}</svg>"
    )


def _table(headings: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return "<p class='muted'>None.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v if v is not None else '—'))}</td>" for v in row) + "</tr>"
                   for row in rows)  # fmt: skip
    return f"<table><tr>{head}</tr>{body}</table>"


def report_tables(report: Mapping[str, Any]) -> str:
    """One report: its stale users, its unused credentials and its exempt users, each a table."""
    stale = [
        (e["user_name"], e.get("idle_days"), e.get("last_used"), ", ".join(e.get("idle_credentials") or []),
         e.get("action"), e.get("not_acted_on"))
        for e in report.get("stale", [])
    ]  # fmt: skip
    unused = [
        (e["user_name"], ", ".join(c.get("credential", "") for c in e.get("credentials") or []), e.get("idle_days"),
         max((c["last_used"] for c in e.get("credentials") or [] if c.get("last_used")), default=None),
         e.get("action"), e.get("not_acted_on"))
        for e in (report.get("unused_credentials") or {}).get("revocable", [])
    ]  # fmt: skip
    exempt = [(e.get("user_name"), e.get("reason")) for e in report.get("exempt", [])]
    return (
        f"<h3>Stale users ({len(stale)}, idle {report.get('max_idle_days')} days or more)</h3>"
        + _table(("User", "Idle days", "Last used", "Idle credentials", "Action", "Not acted on"), stale)
        + f"<h3>Users with unused credentials ({len(unused)})</h3>"
        + _table(("User", "Unused credentials", "Idle days", "Last used", "Action", "Not acted on"), unused)
        + f"<h3>Exempt ({len(exempt)})</h3>"
        + _table(("User", "Why"), exempt)
    )


def reports_page(
    reports: Iterable[Mapping[str, Any]],
    read: Callable[[str], Mapping[str, Any]],
    *,
    base: str,
    server: str,
    account: str = "",
) -> str:
    """Every account's chart and its latest report (``account`` given: that account's only)."""
    accounts = by_account(reports)
    if account:
        accounts = {account: accounts.get(account, [])}
    sections = []
    for name, summaries in sorted(accounts.items()):
        if not summaries:
            sections.append(f"<h2>Account {escape(name)}</h2><p>No report.</p>")
            continue
        latest = summaries[-1]
        title = f"Account {name}" + (f" ({latest['account_name']})" if latest.get("account_name") else "")
        sections.append(
            f"<section class='account'><h2><a href='{base}/reports?{urlencode({'account': name})}'>{escape(title)}"
            f"</a></h2>{chart(summaries)}<p>Latest report: {escape(latest['generated_at'][:19])} UTC, mode "
            f"{escape(latest['mode'])}, requested by {escape(str(latest.get('requested_by') or 'unknown'))}, run "
            f"{run_link(server, 'iam_stale_user_reconciliation', latest['run_id'])}</p>"
            f"{report_tables(read(latest['uri']))}</section>"
        )
    return "".join(sections) or "<p>No reconciliation has written a report yet.</p>"
