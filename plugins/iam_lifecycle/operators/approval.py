"""The approval task: a person approves or rejects in the Airflow UI before a run changes IAM.

Built on the standard provider's human-in-the-loop ``ApprovalOperator``: the task waits in the state
``awaiting_input`` (no worker slot) until someone answers on the run's *Required actions* page, or over REST
(``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails``). A rejection, and no
answer within the timeout (whose default answer is Reject), skip the tasks right after it, and so every change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import BaseNotifier, Variable
from airflow.sdk.exceptions import AirflowSkipException

from iam_lifecycle import approval
from iam_lifecycle.alerts import post_text
from iam_lifecycle.errors import nothing_changed
from iam_lifecycle.notifications import approval_decision_message, approval_request_message

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


class ApprovalRequestNotifier(BaseNotifier):
    """Tells Slack that an approval is waiting: what it is about, the link to it, who may answer, and until when."""

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
        )
        post_text(context, text)


class ApprovalGateOperator(ApprovalOperator):
    """
    Wait for a person to approve what this run is about to change; the page shows the plan. Approve: the run goes
    on, and the approver is recorded in the snapshots and named in Slack. Reject, or no answer within the param
    `approval_timeout` (seconds): the changes are skipped, nothing is changed, and Slack says who rejected or that
    nobody answered. Slack is told, with a link, when the approval starts waiting.

    Who may answer: the users listed in the Variable `iam_lifecycle_approvers` (a JSON list of user ids of the
    auth manager); absent, anyone allowed to act on the DAG's runs.

    :param required: whether to ask at all (templated; e.g. an upstream task's output). When false the task is
        skipped, and the tasks after it decide by their trigger rules whether to run.
    :param approval_timeout: seconds to wait for an answer (templated; default the param `approval_timeout`).
    :param subject: the approval's headline (templated).
    :param body: what a person needs to decide, as Markdown (templated).
    """

    template_fields: Sequence[str] = (*ApprovalOperator.template_fields, "required", "approval_timeout")

    def __init__(
        self,
        *,
        required: Any = True,
        approval_timeout: Any = "{{ params.approval_timeout }}",
        **kwargs: Any,
    ) -> None:
        # No answer by the deadline answers Reject: a timeout never approves.
        super().__init__(defaults=approval.REJECT, notifiers=[ApprovalRequestNotifier()], **kwargs)
        self.required = required
        self.approval_timeout = approval_timeout

    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        # The page asks only Approve or Reject: the DAG's own params are no form fields of the approval.
        return {}

    def _timeout_seconds(self) -> int:
        return int(self.approval_timeout)

    def execute(self, context: Context) -> Any:
        if not (self.required if isinstance(self.required, bool) else str(self.required).lower() == "true"):
            raise AirflowSkipException("No approval is needed for this run")
        self.response_timeout = timedelta(seconds=self._timeout_seconds())
        try:
            self.assigned_users = approval.approvers(Variable.get(approval.APPROVERS_VARIABLE, default=None))
        except ValueError as error:
            raise nothing_changed(str(error)) from None
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if "error" in event:
            return super().execute_complete(context=context, event=event)
        answer = approval.decision(event, self._timeout_seconds())
        # A rejection skips the tasks after this one by raising, which pushes no return value: push the answer
        # first, so the run's report can say who rejected.
        context["ti"].xcom_push(key="return_value", value=answer)
        if not answer["approved"]:
            text = approval_decision_message(
                context["dag"].dag_id, context["run_id"], self.subject, approval.decision_phrase(answer)
            )
            try:
                post_text(context, text)
            except Exception:  # nothing is changed either way; a retry would ask again
                log.exception("Could not tell Slack: %s", text)
        super().execute_complete(context=context, event=event)
        return answer
