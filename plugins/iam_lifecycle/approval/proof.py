"""The proof a changing task checks before its first call: who asked for this run, and who approved what.

A task's state, a trigger rule, XCom and a run's conf are all things a person who may edit runs can set (mark a
task success, clear it, post an XCom, trigger with any conf). What they cannot set is the answer Airflow records
when an approver answers the approval page (``responded_by_user``): only the approval task itself can read it back
(Airflow's execution API serves a task its own answer only). So the approval task turns each answer into an
**approval record**, signed with a key that only the deployment's Variables hold (``iam_lifecycle_approval_secret``,
masked in the UI and the API), and every task that changes IAM or writes a snapshot verifies, itself:

- the record's signature, and that it was made for this very run (or, for a run another DAG started after its
  own approval, for that parent run, which this run names in its conf as ``approval_run``);
- that it says approved, by as many distinct people as the approval policy asks (:mod:`iam_lifecycle.approval.policy`),
  none of them the person who triggered the run unless the policy allows it, each in ``iam_lifecycle_approvers``
  when that is set;
- that what was approved holds the user this task acts on, in this account (same UserId where the plan had it);
- for a parent's approval, that it is recent (the policy's ``approval_valid_seconds``).

A task marked success by hand leaves no record; a record of a rejection or a timeout says so; a conf cannot carry
one. Anyone who can change Variables (an Airflow admin) can change the policy and the key: that is outside what
this package can protect (see the docs).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID, APPROVERS_VARIABLE, approvers
from iam_lifecycle.approval.policy import read_policy
from iam_lifecycle.errors import nothing_changed

SECRET_VARIABLE = "iam_lifecycle_approval_secret"
#: The XCom key of the signed record the approval task pushes (the task's return value stays the plain answer).
RECORD_KEY = "approval_record"
#: Partial approvals (the policy asks more than one approver), signed the same way, while the task waits again.
PROGRESS_KEY = "approval_progress"
#: The conf key naming the run whose approval a started run relies on: ``{"dag_id", "run_id"}``.
APPROVAL_RUN_KEY = "approval_run"
SCHEDULE = "the schedule"
#: Which approved changes may start a run of another change: a reconciliation's deletion and an organization's
#: offboarding start offboardings; nothing else does (a revoke's approval never covers a deletion).
STARTED_BY = {"offboarding": ("delete", "organization")}


def _canonical(record: Mapping[str, Any]) -> bytes:
    body = {key: value for key, value in record.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The record with its ``signature`` (HMAC-SHA256 of its canonical JSON)."""
    digest = hmac.new(key.encode(), _canonical(record), hashlib.sha256).hexdigest()
    return {**record, "signature": digest}


def signed_by(record: Any, key: str) -> bool:
    """Whether ``record`` is a dict signed with ``key`` and unchanged since."""
    if not isinstance(record, dict) or not isinstance(record.get("signature"), str):
        return False
    expected = hmac.new(key.encode(), _canonical(record), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, record["signature"])


def signing_key(create: bool = False) -> str | None:
    """
    The deployment's signing key (Variable ``iam_lifecycle_approval_secret``). With ``create`` (the approval task
    only), a key is made and stored the first time; it is read back, so two first approvals agree on one.
    """
    from airflow.sdk import Variable

    key = Variable.get(SECRET_VARIABLE, default=None)
    if key or not create:
        return key or None
    Variable.set(SECRET_VARIABLE, secrets.token_urlsafe(32), description="Signs iam-lifecycle's approval records")
    return Variable.get(SECRET_VARIABLE, default=None)


def requester(dag_run: Any) -> str:
    """Who asked for the run: the Airflow user who triggered it, or the schedule."""
    user = getattr(dag_run, "triggering_user_name", None)
    run_type = str(getattr(dag_run, "run_type", "") or "")
    if user:
        return str(user)
    return SCHEDULE if "scheduled" in run_type else "unknown (no triggering user recorded)"


def target(account: str | None, user_name: str, user_id: str | None) -> dict[str, Any]:
    """One user a plan acts on, as an approval record lists it."""
    return {"account": account or None, "user_name": user_name, "user_id": user_id}


def covering(record: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any] | None:
    """
    The entry of the approved plan that holds ``wanted`` (None: none does): the same user name (IAM's names are
    case-insensitive) in the same account, and the same UserId where the plan had one.
    """
    for approved in record.get("targets") or []:
        if approved.get("user_name", "").lower() != wanted["user_name"].lower():
            continue
        if approved.get("account") and wanted.get("account") and approved["account"] != wanted["account"]:
            continue
        if approved.get("user_id") and wanted.get("user_id") and approved["user_id"] != wanted["user_id"]:
            continue
        return dict(approved)
    return None


def refusal(
    record: Any,
    key: str | None,
    *,
    dag_id: str,
    run_id: str,
    needed: int,
    wanted: Mapping[str, Any] | None,
    approvers: list[dict[str, str]],
    requester_may_approve: bool,
    valid_seconds: int | None = None,
    now: datetime | None = None,
    changes: tuple[str, ...] | None = None,
) -> str | None:
    """
    Why ``record`` does not prove an approval of ``needed`` people for ``wanted`` in run ``dag_id``/``run_id``,
    or None when it does. ``valid_seconds`` (for a parent's approval): how old its last answer may be;
    ``changes``: the changes whose approval counts (e.g. a revoke's approval never covers a deletion).
    """
    where = f"run {run_id} of {dag_id}"
    if record is None or key is None:
        return f"no approval was recorded by {where}'s approval task (a task marked success by hand records none)"
    if not signed_by(record, key):
        return f"the approval record of {where} is not one its approval task signed"
    if (record.get("dag_id"), record.get("run_id")) != (dag_id, run_id):
        return f"the approval record is for run {record.get('run_id')} of {record.get('dag_id')}, not {where}"
    if changes is not None and record.get("change") not in changes:
        return f"the approval of {where} was for {record.get('change')}, not {' or '.join(changes)}"
    if record.get("outcome") != "approved":
        return f"{where} was not approved ({record.get('phrase') or record.get('outcome')})"
    people = {approval["id"] for approval in record.get("approvals") or []}
    names = {approval.get("name") for approval in record.get("approvals") or []}
    if len(people) < needed:
        return f"{where} was approved by {len(people)} of the {needed} people the approval policy asks"
    if not requester_may_approve and record.get("requested_by") in people | names:
        return f"{where} was approved by the person who requested it ({record['requested_by']})"
    allowed = {user["id"] for user in approvers}
    if allowed and not people <= allowed:
        return f"{where} was approved by {', '.join(sorted(people - allowed))}, not listed as approvers"
    if wanted is not None and covering(record, wanted) is None:
        account = wanted.get("account")
        in_account = f"account {account}" if account and account.isdigit() else "this account"
        return f"what was approved in {where} does not hold IAM user {wanted['user_name']} in {in_account}"
    if valid_seconds is not None:
        last = max((approval["at"] for approval in record.get("approvals") or []), default=None)
        age = ((now or datetime.now(UTC)) - datetime.fromisoformat(last)).total_seconds() if last else None
        if age is None or age > valid_seconds:
            return f"the approval of {where} is older than the policy's {valid_seconds} s"
    return None


def recorded_answer(context: Mapping[str, Any]) -> dict[str, Any] | None:
    """
    This run's approval as the messages tell it (``approved``, ``by``, ``timed_out``, ``timeout_seconds``), from
    its signed record only: an answer anyone could have posted as XCom is not told as an approval. None when no
    signed record of this run exists (not asked, or marked success by hand).
    """
    record = context["ti"].xcom_pull(task_ids=APPROVAL_TASK_ID, key=RECORD_KEY)
    key = signing_key()
    if key is None or not signed_by(record, key) or record.get("run_id") != context["run_id"]:
        return None
    return {
        "approved": record["outcome"] == "approved",
        "by": record.get("answered_by"),
        "timed_out": record["outcome"] == "timed_out",
        "timeout_seconds": record.get("timeout_seconds"),
    }


def approver_names(record: Mapping[str, Any] | None) -> list[str]:
    """The approvers' names in the order they answered (none when there is no record)."""
    return [approval.get("name") or approval["id"] for approval in (record or {}).get("approvals") or []]


def verify_for_change(context: Mapping[str, Any], change: str, wanted: Mapping[str, Any] | None) -> dict[str, Any]:
    """
    In a task about to change IAM (or write a snapshot): check, from the approval records, that ``change`` of
    ``wanted`` (:func:`target`; None: the run's whole plan) was approved as the policy asks; fail otherwise.

    A run that names an ``approval_run`` in its conf must be covered by that run's approval, whatever its own
    policy says. Returns what the trail records, ``{"requested_by", "approved_by": [...], "approval_run"}``, and
    ``target``: the approved plan's entry for ``wanted`` (None when no approval was needed).

    :raises AirflowFailException: the reason, with nothing changed by this task.
    """

    dag_run, ti = context["dag_run"], context["ti"]
    conf = dict(getattr(dag_run, "conf", None) or {})
    try:
        from airflow.sdk import Variable

        policy = read_policy()
        allowed = approvers(Variable.get(APPROVERS_VARIABLE, default=None))
        needed = policy.needed(change, context["params"].get("require_approval"))
    except ValueError as error:
        raise nothing_changed(str(error)) from None
    parent = conf.get(APPROVAL_RUN_KEY)
    if parent is not None:
        if not (isinstance(parent, dict) and isinstance(parent.get("dag_id"), str) and parent.get("run_id")):
            raise nothing_changed(f"conf {APPROVAL_RUN_KEY} must be {{'dag_id', 'run_id'}}, not {parent!r}")
        dag_id, run_id, valid = parent["dag_id"], str(parent["run_id"]), policy.valid_seconds
        needed, changes = max(needed, 1), STARTED_BY.get(change, ())
    else:
        dag_id, run_id, valid, changes = context["dag"].dag_id, context["run_id"], None, (change,)
    if needed == 0:
        return {"requested_by": requester(dag_run), "approved_by": [], "approval_run": None, "target": None}
    record = ti.xcom_pull(task_ids=APPROVAL_TASK_ID, dag_id=dag_id, run_id=run_id, key=RECORD_KEY)
    reason = refusal(
        record,
        signing_key(),
        dag_id=dag_id,
        run_id=run_id,
        needed=needed,
        wanted=wanted,
        approvers=allowed,
        requester_may_approve=policy.requester_may_approve,
        valid_seconds=valid,
        changes=changes,
    )
    if reason:
        raise nothing_changed(f"{change} needs the approval of {needed} (approval policy): {reason}")
    return {
        "requested_by": record.get("requested_by"),
        "approved_by": approver_names(record),
        "approval_run": {"dag_id": dag_id, "run_id": run_id} if parent is not None else None,
        # What the approved plan saw of this user (e.g. the reconciliation's last uses), for the caller to re-check.
        "target": covering(record, wanted) if wanted is not None else None,
    }


def approved_offboarding_confs(context: Mapping[str, Any], change: str, confs: list[dict]) -> list[dict[str, Any]]:
    """
    The confs of the ``iam_user_offboarding`` runs a run starts once its approval is checked (the policy's for
    ``change``; :func:`verify_for_change` fails otherwise). When people approved, each
    conf names this run (``approval_run``), whose signed approval record the started run's changing tasks check:
    no conf value is taken as an approval or an approver's name.
    """
    trail = verify_for_change(context, change, None)
    if not trail["approved_by"]:
        return [dict(conf) for conf in confs]
    parent = {"dag_id": context["dag"].dag_id, "run_id": context["run_id"]}
    return [{**conf, APPROVAL_RUN_KEY: parent} for conf in confs]
