"""What every operator that changes IAM checks first: that the change was approved as the policy asks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iam_lifecycle.approval import policy as approval_policy
from iam_lifecycle.approval import proof as approval_proof

if TYPE_CHECKING:
    from airflow.sdk import Context


class ApprovedChangeMixin:
    """
    Mixed into an IAM user operator: before the task's first AWS call (``pre_execute``), check the signed approval
    record of the run, or of the run that started it (``iam_lifecycle.approval.proof.verify_for_change``), for
    this change of this user; fail, changing nothing, without it. The trail it returns (who asked, who approved)
    is ``self.approval_trail``.
    """

    approval_trail: dict[str, Any] | None = None

    def approval_target(self) -> dict[str, Any]:
        """The user this task changes, as an approval record names it (account and UserId where known)."""
        caller_arn = getattr(self, "caller_arn", None)
        account = getattr(self, "account_id", None) or (caller_arn.split(":")[4] if caller_arn else None)
        user = getattr(self, "user", None) or {}
        return approval_proof.target(account, self.user_name, user.get("UserId"))

    def pre_execute(self, context: Context) -> None:
        super().pre_execute(context)
        change = approval_policy.change_of(context["dag"].dag_id, context["params"])
        self.approval_trail = approval_proof.verify_for_change(context, change, self.approval_target())
