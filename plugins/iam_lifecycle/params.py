"""Validation of what a person types into a trigger form."""

from __future__ import annotations

import re

#: IAM's own rule for user names, spelled out in ASCII: JSON Schema's and Python's ``\w`` also match
#: non-ASCII letters, which IAM refuses.
IAM_USER_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,64}$"


def invalid_user_name_reason(user_name: object) -> str | None:
    """Why ``user_name`` cannot be an IAM user name, or None when it can."""
    if not isinstance(user_name, str):
        return f"user_name must be a string, not {type(user_name).__name__}"
    if user_name.startswith("arn:"):
        return f"user_name must be a user name, not an ARN: {user_name!r}"
    if not re.fullmatch(IAM_USER_NAME_PATTERN, user_name):
        return f"{user_name!r} is not a valid IAM user name (1-64 characters: letters, digits and _+=,.@- only)"
    return None
