"""The shapes of the ids and names a person types, each written once, matched whole everywhere.

Airflow validates trigger params with the ``jsonschema`` library, whose ``pattern`` is Python's ``re.search``:
there ``^x$`` accepts ``"x\\n"`` (``$`` matches before a final newline) and ``\\d`` any Unicode digit. So each body
below spells its characters in ASCII, and :func:`schema_pattern` anchors it for both jsonschema and the
browser's ECMAScript regexes (which have no ``\\Z``); Python code uses :func:`is_whole` (``re.fullmatch``).
"""

from __future__ import annotations

import re

#: IAM's rule for user and role names, in ASCII: ``\\w`` also matches non-ASCII letters, which IAM refuses.
IAM_NAME = r"[A-Za-z0-9_+=,.@-]{1,64}"
ACCOUNT_ID = r"[0-9]{12}"
#: A root (r-…) or an organizational unit (ou-…) of an AWS Organization.
PARENT_ID = r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
#: An Airflow connection id, as this package accepts one.
CONN_ID = r"[A-Za-z0-9_.-]+"


def schema_pattern(body: str, *, empty: bool = False) -> str:
    """
    A JSON-schema ``pattern`` that accepts only a whole value matching ``body`` (or the empty string, with
    ``empty``): ``$(?!\\n)`` is the end of the value in Python's ``re`` and in ECMAScript alike.
    """
    return f"^(?:{body}){'?' if empty else ''}$(?!\\n)"


def is_whole(body: str, value: object) -> bool:
    """Whether ``value`` is a string that ``body`` matches from its first character to its last."""
    return isinstance(value, str) and re.fullmatch(body, value) is not None


def invalid_user_name_reason(user_name: object) -> str | None:
    """Why ``user_name`` cannot be an IAM user name, or None when it can."""
    if not isinstance(user_name, str):
        return f"user_name must be a string, not {type(user_name).__name__}"
    if user_name.startswith("arn:"):
        return f"user_name must be a user name, not an ARN: {user_name!r}"
    if not is_whole(IAM_NAME, user_name):
        return f"{user_name!r} is not a valid IAM user name (1-64 characters: letters, digits and _+=,.@- only)"
    return None
