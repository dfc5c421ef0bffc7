"""The page's HTML: the history, a snapshot for a person, and the layout around them. Everything a run or a person
wrote (names, reasons, documents) is escaped here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from iam_lifecycle.holdings import KINDS, LOGIN_PROFILE
from iam_lifecycle.ui.history import Entry

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a202c; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1.5rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f7fafc; }
.outcome { font-weight: 600; padding: .1rem .4rem; border-radius: .25rem; white-space: nowrap; }
.deleted, .disabled, .revoked { background: #fed7d7; } .restored, .onboarded { background: #c6f6d5; }
.dry-run, .running, .waiting-for-approval, .nothing-changed { background: #e2e8f0; }
.rejected, .timed-out, .failed { background: #feebc8; }
.muted { color: #718096; } pre { background: #f7fafc; padding: .5rem; overflow-x: auto; }
button { padding: .4rem 1rem; font-size: 1rem; cursor: pointer; }
"""


def layout(title: str, body: str, base: str) -> str:
    """A whole page; ``base``: the page's own root (its links are relative to it)."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<nav><a href='{base}/'>History</a><a href='{base}/reports'>Reports</a></nav>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def run_link(server: str, dag_id: str, run_id: str, text: str | None = None) -> str:
    """A link to the run's page in Airflow's UI, out of the plugin's frame."""
    href = f"{server}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    return f"<a target='_top' href='{escape(href)}'>{escape(text or run_id)}</a>"


def snapshot_link(base: str, uri: str | None) -> str:
    if not uri:
        return "<span class='muted'>none</span>"
    return f"<a class='snapshot' href='{base}/snapshot?{urlencode({'uri': uri})}'>{escape(uri.rsplit('/', 1)[-1])}</a>"


def history_page(
    entries: Iterable[Entry], *, base: str, server: str, user: str, account: str, page: int, pages: int, total: int
) -> str:
    rows = "".join(
        "<tr class='entry'>"
        f"<td>{escape(e.when[:19].replace('T', ' '))}</td><td>{escape(e.action)}</td>"
        f"<td class='user'>{escape(e.user_name)}</td><td>{escape(e.account) or '—'}</td>"
        f"<td><span class='outcome {escape((e.outcome or '').replace(' ', '-'))}'>{escape(e.outcome or '')}</span>"
        f"{'<br><span class=muted>' + escape(e.detail) + '</span>' if e.detail else ''}</td>"
        f"<td class='requested-by'>{escape(e.requested_by)}</td>"
        f"<td class='approved-by'>{escape(e.approved_by or '—')}</td><td>{escape(e.reason) or '—'}</td>"
        f"<td>{snapshot_link(base, e.snapshot)}</td><td>{run_link(server, e.dag_id, e.run_id)}</td></tr>"
        for e in entries
    )
    form = (
        f"<form method='get' action='{base}/'>User <input name='user' value='{escape(user)}'> "
        f"Account <input name='account' value='{escape(account)}'> <button>Filter</button></form>"
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "When (UTC)",
            "What",
            "User",
            "Account",
            "Outcome",
            "Requested by",
            "Approved by",
            "Reason",
            "Snapshot",
            "Run",
        )  # fmt: skip
    )
    pager = " ".join(
        f"<a href='{base}/?{urlencode({'user': user, 'account': account, 'page': n})}'>{label}</a>"
        for n, label in ((page - 1, "← newer"), (page + 1, "older →"))
        if 1 <= n <= pages
    )
    table = f"<table><tr>{head}</tr>{rows}</table>" if rows else "<p>No entry matches.</p>"
    return f"{form}<p class='muted'>{total} entries; page {page} of {pages}</p>{table}<p>{pager}</p>"


def _items(values: Any) -> str:
    if isinstance(values, Mapping):
        return "".join(
            f"<li>{escape(str(k))}<pre>{escape(json.dumps(v, indent=2))}</pre></li>" for k, v in values.items()
        )
    listed = []
    for value in values:
        if isinstance(value, Mapping):  # an access key: its id, status and creation date
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        listed.append(f"<li>{escape(str(value))}</li>")
    return "".join(listed)


#: What a snapshot lists the user held (the login profile, a yes or no, is a line of the table above).
HELD = tuple(kind for kind in KINDS if not kind.presence)


def snapshot_page(snapshot: Mapping[str, Any], *, uri: str, base: str, server: str, run_dag: str | None,
                  restorable: bool) -> str:  # fmt: skip
    user = snapshot.get("user") or {}
    tags = user.get("Tags") or {}
    if isinstance(tags, list):  # IAM's own shape, [{"Key", "Value"}]; snapshots keep a dict
        tags = {t.get("Key"): t.get("Value") for t in tags}
    tags = ", ".join(f"{key}={value}" for key, value in tags.items()) or "none"
    boundary = (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or "none"
    run = run_link(server, run_dag, snapshot["run_id"]) if run_dag else escape(snapshot.get("run_id", ""))
    facts = [
        ("User", user.get("UserName")), ("ARN", user.get("Arn")), ("UserId", user.get("UserId")),
        ("Path", user.get("Path")), ("Created", user.get("CreateDate")), ("Tags", tags),
        ("Permissions boundary", boundary), ("Taken at", snapshot.get("taken_at")),
        ("Taken by", snapshot.get("caller_arn")), ("Requested by", snapshot.get("requested_by") or "—"),
        ("Approved by", snapshot.get("approved_by") or "—"), ("Reason", snapshot.get("reason") or "—"),
        (f"{LOGIN_PROFILE.singular.capitalize()} (console password)",
         "yes" if snapshot.get(LOGIN_PROFILE.name) else "no"),
    ]  # fmt: skip
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts)
    rows += f"<tr><th>Run</th><td>{run}</td></tr>"
    held = "".join(
        f"<h3>{escape(kind.plural.capitalize())} ({len(snapshot[kind.name])})</h3>"
        f"<ul>{_items(snapshot[kind.name])}</ul>"
        for kind in HELD
        if snapshot.get(kind.name)
    )
    restore = ""
    if snapshot.get("addendum_to"):
        restore = f"<p>An addendum of {snapshot_link(base, snapshot['addendum_to'])}: restore that snapshot.</p>"
    elif restorable:
        restore = (
            "<p>Restore recreates the user with its path, tags, boundary, groups and policies (never its keys or "
            "password), in a run of iam_user_provisioning requested by you: the approval policy applies.</p>"
            f"<button id='restore' data-uri='{escape(uri)}'>Restore {escape(user.get('UserName', ''))}</button>"
            "<p id='restore-result'></p><script>"
            "document.getElementById('restore').onclick = async (event) => {"
            "  event.target.disabled = true;"
            f"  const answer = await fetch('{base}/restore', {{method: 'POST', credentials: 'same-origin',"
            "    headers: {'Content-Type': 'application/json'},"
            "    body: JSON.stringify({snapshot: event.target.dataset.uri})});"
            "  const body = await answer.json();"
            "  const out = document.getElementById('restore-result');"
            "  if (answer.ok) { out.innerHTML = 'Restore requested: '; const a = document.createElement('a');"
            "    a.href = body.url; a.target = '_top'; a.textContent = body.run_id; out.appendChild(a); }"
            "  else { out.textContent = 'Refused: ' + (body.detail || answer.status); event.target.disabled = false; }"
            "};</script>"
        )
    return f"<table>{rows}</table><h2>What the user held</h2>{held or '<p>Nothing.</p>'}{restore}"
