"""How the messages and pages count things."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 stale user', '2 stale users'."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
