"""How a refusal fails a task: at once, without retries, with a one-line reason that says what did not change."""

from __future__ import annotations

from iam_lifecycle.compat import AirflowFailException


def nothing_changed(reason: str) -> AirflowFailException:
    """The exception to raise when the run stops before any change: ``raise nothing_changed(reason) from None``."""
    return AirflowFailException(f"{reason}; nothing was changed.")


def nothing_more_changed(reason: str) -> AirflowFailException:
    """The same, once the run has made changes: it stops here, and changes nothing more."""
    return AirflowFailException(f"{reason}; nothing more was changed.")
