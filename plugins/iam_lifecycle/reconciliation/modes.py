"""The reconciliation's modes, each declared once with what it does: read, revoke, disable or delete.

A mode travels through XCom and the trigger form as its name (``plan["mode"]``); code asks :func:`mode_named` for
the :class:`Mode` and reads its behaviour from it, instead of comparing strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    """One mode of ``iam_stale_user_reconciliation``."""

    #: The name a person types (``mode`` param) and the approval policy's key.
    name: str
    #: What the mode does, in the trigger form.
    description: str
    #: Whether the mode changes IAM at all (``report`` does not: it never asks for an approval).
    changes: bool = False
    #: Whether it acts on the stale users (``disable``, ``delete``) rather than on unused credentials (``revoke``).
    acts_on_stale_users: bool = False
    #: Whether it revokes credentials in this run's own tasks (``revoke``, ``disable``).
    revokes: bool = False
    #: Whether it deletes users, each through its own ``iam_user_offboarding`` run (``delete``).
    deletes: bool = False
    #: Whether it tags the users it acted on ``lifecycle:disabled-at`` and skips those already tagged (``disable``).
    marks_disabled: bool = False
    #: The approval page's verb before the count of users (``Disable 3 users``).
    verb: str = ""


REPORT = Mode("report", "change nothing")
REVOKE = Mode(
    "revoke",
    "deactivate each unused access key and delete each unused console password, of any user",
    changes=True,
    revokes=True,
    verb="Revoke unused credentials of",
)
DISABLE = Mode(
    "disable",
    "deactivate every access key of each stale user, delete its console password and tag lifecycle:disabled-at",
    changes=True,
    acts_on_stale_users=True,
    revokes=True,
    marks_disabled=True,
    verb="Disable",
)
DELETE = Mode(
    "delete",
    "offboard each stale user through iam_user_offboarding",
    changes=True,
    acts_on_stale_users=True,
    deletes=True,
    verb="Delete",
)

#: Every mode, by name, in the order the trigger form offers them.
MODES: dict[str, Mode] = {mode.name: mode for mode in (REPORT, REVOKE, DISABLE, DELETE)}


def mode_named(name: object) -> Mode:
    """
    The mode called ``name``.

    :raises ValueError: no mode has that name.
    """
    if not isinstance(name, str) or name not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {name!r}")
    return MODES[name]


def modes_described() -> str:
    """Every mode and what it does, for the trigger form: ``report: change nothing; revoke: …``."""
    return "; ".join(f"{mode.name}: {mode.description}" for mode in MODES.values()) + "."
