"""Which users must never be changed, and why.

A user is protected when its name matches a name or fnmatch glob in the Airflow Variable
``iam_lifecycle_protected_users`` (a JSON list), when it carries the tag ``lifecycle:protected`` = ``true``, or
when it is the identity the DAG's own AWS connection acts as, or the identity behind any connection the run acts
through (an organization connection whose credentials assume the member role: :func:`protect_connection_identity`,
recorded where the member session is made). Names, globs, the tag's key and its value are all
matched case-insensitively, as IAM treats user names.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from iam_lifecycle.errors import nothing_changed

PROTECTED_USERS_VARIABLE = "iam_lifecycle_protected_users"
PROTECTED_TAG = "lifecycle:protected"


def parse_protected_patterns(raw: str | None) -> list[str]:
    """The Variable's value as a list of patterns; an absent Variable protects nobody, a malformed one fails."""
    if raw is None or not raw.strip():
        return []
    try:
        patterns = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"Variable {PROTECTED_USERS_VARIABLE} is not valid JSON: {error}") from None
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"Variable {PROTECTED_USERS_VARIABLE} must be a JSON list of strings, got {raw!r}")
    return patterns


def protected_patterns() -> list[str]:
    """Read the protected-users Variable (in a running task); a malformed one fails the task, nothing changed."""
    from airflow.sdk import Variable

    try:
        return parse_protected_patterns(Variable.get(PROTECTED_USERS_VARIABLE, default=None))
    except ValueError as error:
        raise nothing_changed(str(error)) from None


#: The identities behind the connections this process acts through (ARN -> connection id): a run acting in a member
#: account is the member role, so the organization connection's own IAM user would not be "the run's identity".
_CONNECTION_IDENTITIES: dict[str, str] = {}


def protect_connection_identity(arn: str, aws_conn_id: str | None) -> None:
    """Record that ``arn`` (STS GetCallerIdentity of the connection's own credentials) is never to be changed."""
    _CONNECTION_IDENTITIES[arn] = aws_conn_id or "the worker's credentials"


def _iam_user_of(arn: str) -> tuple[str, str] | None:
    """(account, user name) when ``arn`` names an IAM user (as IAM or as STS writes it), else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("user/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


def protection_reason(user: dict[str, Any], caller_arn: str, patterns: list[str]) -> str | None:
    """
    Why ``user`` must not be changed, or None when it may be.

    :param user: ``UserName``, ``Arn`` and ``Tags`` (a dict), as ``GetUserOperator`` returns them.
    :param caller_arn: the ARN STS GetCallerIdentity gives for the DAG's connection.
    :param patterns: names or fnmatch globs from the protected-users Variable.
    """
    name = user["UserName"]
    # IAM user names are unique case-insensitively ("Terraform" and "terraform" cannot both exist): so is matching.
    for pattern in patterns:
        if fnmatchcase(name.lower(), pattern.lower()):
            return f"IAM user {name} is protected: it matches {pattern!r} in the Variable {PROTECTED_USERS_VARIABLE}"
    for key, value in user.get("Tags", {}).items():
        if key.lower() == PROTECTED_TAG and str(value).strip().lower() == "true":
            return f"IAM user {name} is protected: it is tagged {PROTECTED_TAG}=true"
    if _same_identity(caller_arn, user["Arn"]):
        return f"IAM user {name} is protected: it is the identity this DAG runs as ({caller_arn})"
    for arn, aws_conn_id in _CONNECTION_IDENTITIES.items():
        if _same_identity(arn, user["Arn"]):
            return f"IAM user {name} is protected: it is the identity behind AWS connection {aws_conn_id} ({arn})"
    return None


def _same_identity(caller_arn: str, user_arn: str) -> bool:
    caller_user = _iam_user_of(caller_arn)
    return caller_arn == user_arn or (caller_user is not None and caller_user == _iam_user_of(user_arn))
