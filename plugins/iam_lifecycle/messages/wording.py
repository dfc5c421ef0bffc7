"""How the messages and pages count things."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 stale user', '2 stale users'."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


#: How long a piece of someone's text may be in a message.
QUOTED_LIMIT = 300


def quoted(text: object) -> str:
    """
    Text a person typed (a conf's reason, a name) made safe to put in a Slack message or an approval page: one
    line (newlines and tabs become spaces, so it cannot forge a line of its own), Slack's control characters
    ``& < >`` escaped (no mention, link or channel ping), Markdown table pipes escaped, at most 300 characters.
    """
    line = " ".join(str(text).split())
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return line if len(line) <= QUOTED_LIMIT else line[: QUOTED_LIMIT - 1] + "…"
