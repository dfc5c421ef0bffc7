"""The lifecycle's history, as the page lists it: one entry per user a run acted on (or was asked to), newest first.

Built from plain data, so it is the same in the page and in tests: Airflow's run records (:class:`Run`), the
summaries of the snapshots and reports in the snapshot store (``iam_lifecycle.ui.store``), and, for the entries
of one page only, each run's approval answer and task states (``iam_lifecycle.ui.records``). Listing and filtering
need no more than the run records and the store's index, held in memory: thousands of entries cost milliseconds;
what is read per run is read for one page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

OFFBOARDING, RECONCILIATION, PROVISIONING = (
    "iam_user_offboarding",
    "iam_stale_user_reconciliation",
    "iam_user_provisioning",
)
ORGANIZATION = "iam_user_offboarding_organization"
#: The DAGs whose runs make the history; reading the page needs the right to read their runs.
LIFECYCLE_DAG_IDS = (OFFBOARDING, RECONCILIATION, PROVISIONING, ORGANIZATION)
#: Who asked for a scheduled run (the approval record's words: ``iam_lifecycle.approval.proof.SCHEDULE``).
SCHEDULE = "the schedule"
#: What a reconciliation report's ``action`` does to a user, as the history names it.
RECONCILIATION_ACTIONS = {"disable": "disable", "revoke": "revoke"}
#: A finished run's outcome when nothing refused it, by what the entry is.
DONE = {"offboarding": "deleted", "disable": "disabled", "revoke": "revoked", "restore": "restored",
        "onboarding": "onboarded"}  # fmt: skip
#: The task whose success means the change was made, by DAG (a run that skipped it changed nothing).
CHANGING_TASK = {OFFBOARDING: "delete_user", PROVISIONING: "create_user"}
APPROVAL_TASK = "approve_changes"


@dataclass(frozen=True)
class Run:
    """A lifecycle DAG run, as Airflow records it."""

    dag_id: str
    run_id: str
    state: str
    when: str  # ISO time: when the run was asked for (run_after)
    conf: Mapping[str, Any]
    triggering_user_name: str | None = None
    run_type: str = "manual"


@dataclass(frozen=True)
class Entry:
    """One line of the history."""

    when: str
    action: str  # offboarding, disable, revoke, restore, onboarding
    user_name: str
    account: str
    dag_id: str
    run_id: str
    run_state: str
    requested_by: str
    reason: str
    approved_by: str | None = None
    snapshot: str | None = None
    outcome: str | None = None  # set by :func:`with_outcomes`
    detail: str = ""


def account_of_snapshot(uri: str | None) -> str:
    """A snapshot's account, from its place in the store (``<root>/<account>/<user>/<time>.json``)."""
    parts = (uri or "").rstrip("/").split("/")
    return parts[-3] if len(parts) >= 3 else ""


def user_of_snapshot(uri: str | None) -> str:
    parts = (uri or "").rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def requester(run: Run, snapshot: Mapping[str, Any] | None) -> str:
    """Who asked: the snapshot's record (a triggered run names its parent's requester), the run's user, the schedule."""
    if snapshot and snapshot.get("requested_by"):
        return str(snapshot["requested_by"])
    if run.triggering_user_name:
        return run.triggering_user_name
    if "scheduled" in run.run_type:
        return SCHEDULE
    return f"run {run.run_id.split('__offboard')[0]}" if "__" in run.run_id else "unknown"


def build_entries(
    runs: Iterable[Run], snapshots: Iterable[Mapping[str, Any]], reports: Iterable[Mapping[str, Any]]
) -> list[Entry]:
    """
    Every entry, newest first. An offboarding or provisioning run is one entry; a reconciliation run, one per user
    its reports say it disables or revokes (its deletions are offboarding runs of their own, which it triggers);
    the organization's run, likewise, shows through the offboarding runs it triggers.

    :param snapshots: the store's snapshot summaries (``run_id``, ``user_name``, ``account``, ``uri``,
        ``requested_by``, ``approved_by``, ``reason``; addenda left out).
    :param reports: the store's report summaries (``run_id``, ``account``, ``actions``: ``[user, action]`` pairs).
    """
    by_run: dict[str, list[Mapping[str, Any]]] = {}
    for snapshot in snapshots:
        by_run.setdefault(snapshot["run_id"], []).append(snapshot)
    reports_by_run: dict[str, list[Mapping[str, Any]]] = {}
    for report in reports:
        reports_by_run.setdefault(report["run_id"], []).append(report)

    entries: list[Entry] = []
    for run in runs:
        taken = by_run.get(run.run_id, [])
        conf = run.conf or {}
        if run.dag_id == OFFBOARDING:
            snapshot = taken[-1] if taken else None  # a retried try writes a later one; the last is what was deleted
            entries.append(_entry(run, "offboarding", str(conf.get("user_name") or ""), conf, snapshot))
        elif run.dag_id == PROVISIONING:
            source = conf.get("snapshot") or None
            user = str(conf.get("user_name") or "") or user_of_snapshot(source)
            entry = _entry(run, "restore" if source else "onboarding", user, conf, None)
            entries.append(replace(entry, snapshot=source, account=entry.account or account_of_snapshot(source)))
        elif run.dag_id == RECONCILIATION:
            for report in reports_by_run.get(run.run_id, []):
                for user, action in report.get("actions", []):
                    if action not in RECONCILIATION_ACTIONS:
                        continue
                    snapshot = next(
                        (s for s in taken if s["user_name"] == user and s["account"] == report["account"]), None
                    )
                    entry = _entry(run, RECONCILIATION_ACTIONS[action], user, conf, snapshot)
                    entries.append(replace(entry, account=report["account"], requested_by=requester(run, report)))
    return sorted(entries, key=lambda entry: (entry.when, entry.run_id, entry.user_name), reverse=True)


def _entry(run: Run, action: str, user: str, conf: Mapping[str, Any], snapshot: Mapping[str, Any] | None) -> Entry:
    return Entry(
        when=run.when,
        action=action,
        user_name=user or (snapshot or {}).get("user_name", ""),
        account=str(conf.get("account_id") or "") or (snapshot or {}).get("account", ""),
        dag_id=run.dag_id,
        run_id=run.run_id,
        run_state=run.state,
        requested_by=requester(run, snapshot),
        reason=str(conf.get("reason") or (snapshot or {}).get("reason") or ""),
        approved_by=(snapshot or {}).get("approved_by"),
        snapshot=(snapshot or {}).get("uri"),
    )


def matching(entries: Iterable[Entry], user: str = "", account: str = "") -> list[Entry]:
    """The entries of a user (its name contains ``user``, case-insensitive) in an account (exactly), if given."""
    user = user.strip().lower()
    return [e for e in entries if user in e.user_name.lower() and (not account or e.account == account.strip())]


def page_of(entries: list[Entry], page: int, size: int) -> tuple[list[Entry], int]:
    """The entries of page ``page`` (from 1) and how many pages there are (at least 1)."""
    pages = max(1, -(-len(entries) // size))
    page = min(max(1, page), pages)
    return entries[(page - 1) * size : page * size], pages


#: The offboarding's tasks that remove what a user holds; each returns ``{"removed": [...], "already_gone": [...]}``.
REMOVING_TASKS = ("delete_login_profile", "detach_user_policy", "remove_user_items")


def still_held(recorded: Mapping[str, list[str]], results: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """
    What a user held at its snapshot (``snapshots.items_of``, by kind) less what the run's removing tasks say is
    removed or was already gone: what it still holds after a failed offboarding (a deactivated key is still held).
    """
    gone = {item for result in results for key in ("removed", "already_gone") for item in result.get(key) or []}
    left = {kind: [item for item in items if item not in gone] for kind, items in recorded.items()}
    return {kind: items for kind, items in left.items() if items}


def held_phrase(held: Mapping[str, list[str]]) -> str:
    """'still holds 1 login profile, 2 groups', or 'holds nothing more' (the user may still exist)."""
    if not held:
        return "holds nothing more"
    return "still holds " + ", ".join(f"{len(items)} {_kind_words(kind, len(items))}" for kind, items in held.items())


def _kind_words(kind: str, count: int) -> str:
    """A snapshot field's items as people name them (``iam_lifecycle.holdings``): "1 access key", "2 groups"."""
    from iam_lifecycle.holdings import BY_NAME

    found = BY_NAME.get(kind)
    if found is None:
        return kind.replace("_", " ")
    return found.singular if count == 1 else found.plural


def outcome(
    entry: Entry,
    conf: Mapping[str, Any],
    answer: Mapping[str, Any] | None,
    states: Mapping[str, str | None],
    held: Mapping[str, list[str]] | None = None,
) -> tuple[str, str | None, str]:
    """
    How an entry ended, who approved it, and a detail: a dry run, rejected or timed out (the approval's answer),
    failed, running or waiting for approval, or done (``DONE``) when the run succeeded and its changing task ran.

    :param answer: the approval task's answer (``approved``, ``by``, ``timed_out``), None if none was asked.
    :param states: the run's task id -> state.
    :param held: for a failed offboarding, what the user still holds (:func:`still_held`), if known.
    """
    approved_by = entry.approved_by or (answer["by"] if answer and answer.get("approved") else None)
    if answer and not answer.get("approved"):
        if answer.get("timed_out"):
            return "timed out", None, "nobody answered the approval in time: nothing was changed"
        return "rejected", None, f"rejected by {answer.get('by')}: nothing was changed"
    if entry.dag_id == OFFBOARDING and conf.get("dry_run"):
        return ("dry run" if entry.run_state != "failed" else "failed"), None, "nothing was changed"
    if entry.run_state == "failed":
        failed = ", ".join(sorted(task for task, state in states.items() if state == "failed")) or "a task"
        left = f"; {entry.user_name} {held_phrase(held)}" if held is not None else ""
        return "failed", approved_by, f"{failed} failed{left} (its Slack alert says more)"
    if entry.run_state != "success":
        if states.get(APPROVAL_TASK) in ("deferred", "awaiting_input"):
            return "waiting for approval", None, ""
        return "running", approved_by, ""
    changing = CHANGING_TASK.get(entry.dag_id)
    if changing and states.get(changing) != "success":
        return "nothing changed", approved_by, f"{changing} did not run ({states.get(changing) or 'not reached'})"
    return DONE[entry.action], approved_by, ""


def with_outcomes(
    entries: Iterable[Entry],
    confs: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Mapping[str, Any]],
    states: Mapping[str, Mapping[str, str | None]],
    held: Mapping[str, Mapping[str, list[str]]] | None = None,
) -> list[Entry]:
    """The entries with their outcome; each mapping is keyed by run id (``held``: failed offboardings')."""
    done = []
    for entry in entries:
        ended, approved_by, detail = outcome(
            entry,
            confs.get(entry.run_id, {}),
            answers.get(entry.run_id),
            states.get(entry.run_id, {}),
            (held or {}).get(entry.run_id),
        )
        done.append(replace(entry, outcome=ended, approved_by=approved_by, detail=detail))
    return done
