"""Which changes need a person's approval, and how many: the deployment's approval policy.

One Airflow Variable, ``iam_lifecycle_approval_policy`` (JSON), decides; a run's conf may ask for an approval the
policy does not require (``require_approval: true``), never remove one it requires. Every task that changes IAM
or writes a snapshot reads the policy itself (:mod:`iam_lifecycle.approval.proof`), so a malformed policy fails
every changing run before any change.

The Variable holds a JSON object: a number of approvers per change (:data:`DEFAULT_APPROVERS`), and
``approval_valid_seconds`` and ``requester_may_approve``; docs/approval.md shows it whole.

- Each change names how many distinct people must approve it (0: none). ``offboarding`` is one user's
  ``iam_user_offboarding`` run; ``revoke``, ``disable`` and ``delete`` the reconciliation's modes; ``organization``
  ``iam_user_offboarding_organization``; ``provisioning`` a restore or an onboarding. A key left out keeps its
  default (:data:`DEFAULT_APPROVERS`: what applies when the Variable is absent).
- ``approval_valid_seconds``: how long an approval stays good for the runs it starts (a reconciliation's or an
  organization's offboardings, each its own run), counted from the last approver's answer.
- ``requester_may_approve``: whether the person who triggered a run may approve it (default false: four eyes).
- The Variable ``iam_lifecycle_require_approval`` = ``true`` keeps meaning "every change needs at least one person".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

APPROVAL_POLICY_VARIABLE = "iam_lifecycle_approval_policy"
REQUIRE_APPROVAL_VARIABLE = "iam_lifecycle_require_approval"

#: Every kind of change the policy governs, with how many approvers it needs when the policy does not say.
DEFAULT_APPROVERS = {
    "offboarding": 0,
    "revoke": 0,
    "disable": 1,
    "delete": 1,
    "organization": 1,
    "provisioning": 1,
}
CHANGES = tuple(DEFAULT_APPROVERS)
DEFAULT_VALID_SECONDS = 24 * 60 * 60
#: More approvers than this is a typo, not a policy.
MAX_APPROVERS = 10


@dataclass(frozen=True)
class ApprovalPolicy:
    """The policy in force: approvers needed per change, how long an approval is good for, and four eyes."""

    approvers: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_APPROVERS))
    valid_seconds: int = DEFAULT_VALID_SECONDS
    requester_may_approve: bool = False
    #: ``iam_lifecycle_require_approval`` is true: every change needs at least one person.
    every_change: bool = False

    def needed(self, change: str, asked: bool | None = None) -> int:
        """
        How many distinct people must approve ``change`` in a run whose conf says ``require_approval`` = ``asked``:
        the policy's number, at least one when the deployment or the run asks; a run can raise it, never lower it.
        """
        if change not in self.approvers:
            raise ValueError(f"{change!r} is not a change the approval policy knows ({', '.join(CHANGES)})")
        floor = 1 if self.every_change or asked else 0
        return max(self.approvers[change], floor)


def _require_all(raw: str | None) -> bool:
    if raw is None or not raw.strip():
        return False
    word = raw.strip().strip('"').lower()
    if word not in ("true", "false"):
        raise ValueError(f"Variable {REQUIRE_APPROVAL_VARIABLE} must be true or false, not {raw!r}")
    return word == "true"


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_APPROVERS:
        raise ValueError(
            f"Variable {APPROVAL_POLICY_VARIABLE}: {key} must be a number of approvers from 0 to {MAX_APPROVERS}, "
            f"not {value!r}"
        )
    return value


def parse_policy(raw: str | None, require_all: str | None = None) -> ApprovalPolicy:
    """
    The policy from the Variables' values (None: absent).

    :param raw: ``iam_lifecycle_approval_policy``: a JSON object as in the module's docstring.
    :param require_all: ``iam_lifecycle_require_approval``.
    :raises ValueError: a malformed policy (not JSON, not an object, an unknown key, a bad number): no change may
        go on under a policy nobody can read.
    """
    every_change = _require_all(require_all)
    if raw is None or not raw.strip():
        return ApprovalPolicy(every_change=every_change)
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"Variable {APPROVAL_POLICY_VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"Variable {APPROVAL_POLICY_VARIABLE} must be a JSON object, not {raw!r}")
    approvers = dict(DEFAULT_APPROVERS)
    valid_seconds, requester_may_approve = DEFAULT_VALID_SECONDS, False
    for key, item in value.items():
        if key in approvers:
            approvers[key] = _count(key, item)
        elif key == "approval_valid_seconds":
            if isinstance(item, bool) or not isinstance(item, int) or not 60 <= item <= 30 * 24 * 3600:
                raise ValueError(
                    f"Variable {APPROVAL_POLICY_VARIABLE}: approval_valid_seconds must be whole seconds from 60 to "
                    f"2592000 (30 days), not {item!r}"
                )
            valid_seconds = item
        elif key == "requester_may_approve":
            if not isinstance(item, bool):
                raise ValueError(f"Variable {APPROVAL_POLICY_VARIABLE}: requester_may_approve must be true or false")
            requester_may_approve = item
        else:
            known = ", ".join([*CHANGES, "approval_valid_seconds", "requester_may_approve"])
            raise ValueError(f"Variable {APPROVAL_POLICY_VARIABLE}: unknown key {key!r} (known: {known})")
    return ApprovalPolicy(approvers, valid_seconds, requester_may_approve, every_change)


def read_policy() -> ApprovalPolicy:
    """The policy in force, read from the Variables in a running task (raises ValueError when malformed)."""
    from airflow.sdk import Variable

    return parse_policy(
        Variable.get(APPROVAL_POLICY_VARIABLE, default=None), Variable.get(REQUIRE_APPROVAL_VARIABLE, default=None)
    )


#: The change each DAG makes, as the policy names it; the reconciliation's is its mode.
CHANGE_OF_DAG = {
    "iam_user_offboarding": "offboarding",
    "iam_user_offboarding_organization": "organization",
    "iam_user_provisioning": "provisioning",
}
RECONCILIATION_DAG_ID = "iam_stale_user_reconciliation"


def change_of(dag_id: str, params: dict[str, Any]) -> str:
    """The change a run of ``dag_id`` makes (a DAG of the deployment's own that uses these operators: offboarding)."""
    if dag_id == RECONCILIATION_DAG_ID:
        return str(params["mode"])
    return CHANGE_OF_DAG.get(dag_id, "offboarding")
