"""The counter every injected fault uses: ``[N, K]`` means "the N calls after the next K"."""

from __future__ import annotations


def take(pending: list[int] | None) -> bool:
    """
    Whether this call is one of the N of ``pending`` (``[N]`` or ``[N, K]``: after skipping K); counts it.

    The caller holds its own lock: the lists are shared by the server's request threads.
    """
    if not pending:
        return False
    if len(pending) > 1 and pending[1] > 0:
        pending[1] -= 1
        return False
    if pending[0] > 0:
        pending[0] -= 1
        return True
    return False
