"""The approval task: a person approves or rejects in the Airflow UI before a run changes IAM.

Built on the standard provider's human-in-the-loop ``ApprovalOperator``: the task waits (state ``awaiting_input``
or deferred, no worker slot) until someone answers on the run's *Required actions* page, or over REST
(``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails``). A rejection, and no
answer within the timeout (whose default answer is Reject), skip the tasks right after it, and so every change.

The skip is a convenience, not the safety: every changing task checks the signed approval record this task
writes (:mod:`iam_lifecycle.approval.proof`), so marking this task success, or clearing a later task after a
rejection, changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import BaseNotifier, Variable

from iam_lifecycle.approval import answers as approval
from iam_lifecycle.approval import policy as approval_policy
from iam_lifecycle.approval import proof as approval_proof
from iam_lifecycle.compat import AirflowSkipException
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.messages.alerts import post_text
from iam_lifecycle.messages.texts import (
    approval_answer_refused_message,
    approval_decision_message,
    approval_request_message,
)
from iam_lifecycle.messages.wording import quoted

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


class ApprovalRequestNotifier(BaseNotifier):
    """Tells Slack that an approval is waiting: what it is about, who asked, the link, who may answer, until when."""

    def notify(self, context: Context) -> None:
        task = context["task"]
        try:
            # The link Airflow itself gives to a HITL task: <[api] base_url>/dags/…/runs/…/tasks/…/required_actions
            link = HITLOperator.generate_link_to_ui_from_context(context=context)
        except ValueError:  # no [api] base_url: Airflow cannot know its own address
            link = None
        text = approval_request_message(
            context["dag"].dag_id,
            context["run_id"],
            task.task_id,
            task.subject,
            link,
            [user["name"] for user in task.assigned_users or []],
            task.response_timeout.total_seconds() if task.response_timeout else None,
            requested_by=approval_proof.requester(context["dag_run"]),
        )
        post_text(context, text)


def _said(context: Context, text: str) -> None:
    try:
        post_text(context, text)
    except Exception:  # the answer stands either way; a retry would ask again
        log.exception("Could not tell Slack: %s", text)


class ApprovalGateOperator(ApprovalOperator):
    """
    Wait for the people the approval policy asks for (Variable `iam_lifecycle_approval_policy`) to approve what
    this run is about to change; the page shows the plan and who asked for it. Approved by enough distinct people:
    the run goes on, and the requester and approvers are recorded in the snapshots and named in Slack. Rejected,
    or no answer within the param `approval_timeout` (seconds): nothing is changed, and Slack says who rejected or
    that nobody answered. An answer by the person who triggered the run (unless the policy allows it), by someone
    not in `iam_lifecycle_approvers`, or a second answer by the same person, is refused: Slack says why, and the
    task asks again.

    :param change: which change of the policy this approves (templated): `offboarding`, `revoke`, `disable`,
        `delete`, `organization` or `provisioning`.
    :param targets: the users the plan acts on (templated), each `{"account", "user_name", "user_id"}`; the
        changing tasks act only on these.
    :param required: whether there is anything to approve (templated). False, or a policy that asks nobody for
        this change: the task is skipped.
    :param approval_timeout: seconds to wait for an answer (templated; default the param `approval_timeout`).
    :param subject: the approval's headline (templated).
    :param body: what a person needs to decide, as Markdown (templated).
    """

    template_fields: Sequence[str] = (
        *ApprovalOperator.template_fields,
        "required",
        "approval_timeout",
        "change",
        "targets",
    )

    def __init__(
        self,
        *,
        change: str,
        targets: Any = None,
        required: Any = True,
        approval_timeout: Any = "{{ params.approval_timeout }}",
        **kwargs: Any,
    ) -> None:
        # No answer by the deadline answers Reject: a timeout never approves.
        super().__init__(defaults=approval.REJECT, notifiers=[ApprovalRequestNotifier()], **kwargs)
        self.change = change
        self.targets = targets
        self.required = required
        self.approval_timeout = approval_timeout

    @classmethod
    def for_request(cls, change: str, request: Any, **kwargs: Any) -> ApprovalGateOperator:
        """
        The DAG's ``approve_changes`` task for the page its ``request_approval`` task made: that task's
        ``subject``, ``body``, ``targets`` (the users approved) and ``required`` (whether there is anything to
        approve at all).
        """
        return cls(
            task_id=approval.APPROVAL_TASK_ID,
            change=change,
            targets=request["targets"],
            required=request["required"],
            subject=request["subject"],
            body=request["body"],
            **kwargs,
        )

    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        # The page asks only Approve or Reject: the DAG's own params are no form fields of the approval.
        return {}

    def _timeout_seconds(self) -> int:
        return int(self.approval_timeout)

    def _policy(self, context: Context) -> tuple[approval_policy.ApprovalPolicy, int, list[dict[str, str]]]:
        try:
            policy = approval_policy.read_policy()
            needed = policy.needed(self.change, context["params"].get("require_approval"))
            allowed = approval.approvers(Variable.get(approval.APPROVERS_VARIABLE, default=None))
        except ValueError as error:
            raise nothing_changed(str(error)) from None
        return policy, needed, allowed

    def execute(self, context: Context) -> Any:
        wanted = self.required if isinstance(self.required, bool) else str(self.required).lower() == "true"
        if not wanted:  # nothing to change (a report, nobody selected, a dry run): no policy to read
            raise AirflowSkipException("Nothing in this run needs an approval: it changes nothing")
        _, needed, allowed = self._policy(context)
        if needed == 0:
            raise AirflowSkipException("No approval is needed for this run (approval policy)")
        approval_proof.signing_key(create=True)
        self.response_timeout = timedelta(seconds=self._timeout_seconds())
        self.assigned_users = allowed
        if not str(self.body or "").startswith("Requested by "):
            asked_by = quoted(approval_proof.requester(context["dag_run"]))
            # What the signed record will approve is listed from the same value it is signed from, so a plan
            # edited in XCom after the page's text was written cannot approve a user the page does not show.
            approved = "\n".join(
                f"- `{quoted(t['user_name'])}` in account {t.get('account') or 'of the connection'}"
                + (f" (UserId {quoted(t['user_id'])})" if t.get("user_id") else "")
                for t in self.targets or []
            )
            self.body = (
                f"Requested by **{asked_by}**; needs {needed} approver(s).\n\n{self.body or ''}"
                f"\n\n**Approving this approves exactly these users:**\n{approved or '- none'}"
            )
        return super().execute(context)

    def _progress(self, context: Context, key: str) -> list[dict[str, str]]:
        """The approvals given so far in this task (a record this task signed for this run; anything else: none)."""
        record = context["ti"].xcom_pull(task_ids=self.task_id, key=approval_proof.PROGRESS_KEY)
        if not approval_proof.signed_by(record, key) or record.get("run_id") != context["run_id"]:
            return []
        return list(record.get("approvals") or [])

    def _record(
        self, context: Context, outcome: str, phrase: str, approvals: list, needed: int, answer: dict
    ) -> dict[str, Any]:
        record = {
            "answered_by": answer["by"],
            "timeout_seconds": answer.get("timeout_seconds"),
            "dag_id": context["dag"].dag_id,
            "run_id": context["run_id"],
            "change": self.change,
            "needed": needed,
            "requested_by": approval_proof.requester(context["dag_run"]),
            "approvals": approvals,
            "outcome": outcome,
            "phrase": phrase,
            "targets": list(self.targets or []),
            "recorded_at": datetime.now(UTC).isoformat(),
        }
        return approval_proof.sign(record, approval_proof.signing_key(create=True))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if "error" in event:
            return super().execute_complete(context=context, event=event)
        policy, needed, allowed = self._policy(context)
        key = approval_proof.signing_key(create=True)
        answer = approval.decision(event, self._timeout_seconds())
        approvals = self._progress(context, key)
        dag_id, run_id = context["dag"].dag_id, context["run_id"]
        if answer["approved"]:
            user = event["responded_by_user"]
            person = {"id": str(user.get("id")), "name": str(user.get("name") or user.get("id"))}
            if why := self._refused(context, person, approvals, policy, allowed, needed):
                _said(context, approval_answer_refused_message(dag_id, run_id, self.subject, person["name"], why))
                return self.execute(context)  # waits for another answer
            approvals.append(person | {"at": _iso(event.get("responded_at"))})
            if len(approvals) < needed:
                progress = approval_proof.sign({"run_id": run_id, "approvals": approvals}, key)
                context["ti"].xcom_push(key=approval_proof.PROGRESS_KEY, value=progress)
                return self.execute(context)
        outcome = "approved" if answer["approved"] else "timed_out" if answer["timed_out"] else "rejected"
        phrase = approval.decision_phrase(answer)
        if answer["approved"]:
            phrase = "approved by " + ", ".join(a["name"] for a in approvals)
            answer["by"] = ", ".join(a["name"] for a in approvals)
        context["ti"].xcom_push(
            key=approval_proof.RECORD_KEY, value=self._record(context, outcome, phrase, approvals, needed, answer)
        )
        # A rejection skips the tasks after this one by raising, which pushes no return value: push the answer
        # first, so the run's report can say who rejected.
        context["ti"].xcom_push(key="return_value", value=answer)
        if not answer["approved"]:
            _said(context, approval_decision_message(dag_id, run_id, self.subject, phrase))
        super().execute_complete(context=context, event=event)
        return answer

    @staticmethod
    def _refused(context: Context, person: dict, approvals: list, policy, allowed: list, needed: int) -> str | None:
        """Why this approval does not count (the task asks again), or None."""
        requested_by = approval_proof.requester(context["dag_run"])
        if not policy.requester_may_approve and requested_by in (person["id"], person["name"]):
            return f"{person['name']} requested this run and cannot approve it (four eyes)"
        if allowed and person["id"] not in {user["id"] for user in allowed}:
            return f"{person['name']} is not listed in {approval.APPROVERS_VARIABLE}"
        if person["id"] in {given["id"] for given in approvals}:
            return f"{person['name']} has approved already: {needed} distinct people must approve"
        return None


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value) if value else datetime.now(UTC).isoformat()
