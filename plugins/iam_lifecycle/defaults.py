"""What every lifecycle DAG shares: its start date, default task arguments, the AWS connection param, task docs."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pendulum
from airflow.sdk import Param

from iam_lifecycle.alerts import alert_failure
from iam_lifecycle.approval import DEFAULT_TIMEOUT_SECONDS
from iam_lifecycle.retries import IamRetryPolicy
from iam_lifecycle.sessions import DEFAULT_MEMBER_ROLE

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def default_args(**overrides: Any) -> dict[str, Any]:
    """Owner, retries with exponential backoff, fail-fast on permanent AWS errors, and a Slack alert on failure."""
    return {
        "owner": "platform-security",
        "retries": 2,
        "retry_delay": pendulum.duration(seconds=10),
        "retry_exponential_backoff": 2.0,
        "on_failure_callback": alert_failure,
        "retry_policy": IamRetryPolicy(),
    } | overrides


def aws_conn_id_param(description: str) -> Param:
    """The ``aws_conn_id`` trigger param: which Airflow connection (so which AWS account) to act in."""
    return Param(
        "aws_default", type="string", pattern=r"^[A-Za-z0-9_.-]+$", title="AWS connection", description=description
    )


def account_id_param() -> Param:
    """The optional ``account_id`` trigger param: a member account of an organization to act in through its role."""
    return Param(
        None,
        # The trigger form sends an emptied field as null: null (or empty) means the connection's own account.
        type=["null", "string"],
        pattern=r"^(\d{12})?$",
        title="Member account id",
        description="Optional: the 12-digit id of a member account of an AWS Organization. Every AWS call then goes "
        "through that account's role (below), assumed with the credentials of the AWS connection.",
    )


def member_role_name_param() -> Param:
    """The ``member_role_name`` trigger param: the role assumed in each member account."""
    return Param(
        DEFAULT_MEMBER_ROLE,
        type=["null", "string"],
        pattern=r"^[A-Za-z0-9_+=,.@-]{1,64}$",
        title="Member role name",
        description="The IAM role assumed in a member account (policies/member-role.json); empty means "
        f"{DEFAULT_MEMBER_ROLE}.",
    )


def organization_conn_id_param(default: str | None, description: str) -> Param:
    """
    The ``organization_conn_id`` trigger param: the AWS connection into an organization's management account;
    optional (null: no organization) when its default is None, else required.
    """
    return Param(
        default,
        type=["null", "string"] if default is None else "string",
        pattern=r"^[A-Za-z0-9_.-]*$" if default is None else r"^[A-Za-z0-9_.-]+$",
        title="AWS Organization connection",
        description=description,
    )


def exclude_account_ids_param() -> Param:
    """The ``exclude_account_ids`` trigger param: organization accounts never read nor acted in."""
    return Param(
        [],
        type=["null", "array"],
        items={"type": "string", "pattern": r"^\d{12}$"},
        title="Accounts to leave out",
        description="12-digit ids of the organization's accounts to leave out: no call is made in them.",
    )


def organizational_unit_ids_param() -> Param:
    """The ``organizational_unit_ids`` trigger param: only the accounts under these OUs (or roots)."""
    return Param(
        [],
        type=["null", "array"],
        items={"type": "string", "pattern": r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$"},
        title="Organizational units",
        description="Only the accounts under these organizational units (ou-…) or roots (r-…), at any depth; "
        "empty: every account of the organization.",
    )


def approval_timeout_param() -> Param:
    """The ``approval_timeout`` trigger param: how long the approval waits for an answer before nothing is changed."""
    return Param(
        DEFAULT_TIMEOUT_SECONDS,
        type="integer",
        minimum=1,
        title="Approval timeout (seconds)",
        description="How long the approval waits for a person's answer (86400: 24 hours). With no answer by then, "
        "nothing is changed and Slack says so.",
    )


#: Docs for the provider operators the DAGs use as they are.
PROVIDER_TASK_DOCS = {
    "SlackWebhookOperator": "Posts the message composed upstream to Slack, through the `slack_default` connection.",
    "TriggerDagRunOperator": "Triggers a DAG run with the conf shown in the task's rendered fields, and waits for it.",
}


#: A Sphinx role: :func:`name`, :func:`~pkg.name` (shown as "name"), :class:`Title <pkg.Name>` (shown as "Title").
_SPHINX_ROLE = re.compile(r":(?:\w+:)?\w+:`(?:(?P<title>[^`<]+?)\s*<[^`>]+>|(?P<target>[^`]+))`")
#: A Sphinx field: ":param name: text", ":return: text", ":raises Error: text".
_SPHINX_FIELD = re.compile(r"^:(?P<kind>\w+)(?:\s+(?P<name>[^:]+?))?:\s*(?P<text>.*)$")
_FIELD_HEADINGS = dict.fromkeys(("param", "parameter", "arg", "key", "keyword"), "Parameters") | dict.fromkeys(
    ("raises", "raise", "except", "exception"), "Raises"
)


def sphinx_to_markdown(doc: str) -> str:
    """
    A dedented docstring's Sphinx markup as Markdown, which is how the UI renders task docs: roles and
    double-backquoted literals become inline code; a field list becomes a "**Parameters**" list of
    "**name**: text" items, "**Returns:** text" and a "**Raises**" list, each field's indented lines joined to it.
    """

    def role(match: re.Match) -> str:
        target = match["target"] or ""
        return f"`{match['title'] or (target[1:].rsplit('.', 1)[-1] if target.startswith('~') else target)}`"

    lines: list[str] = []

    def paragraph(*new: str) -> None:
        lines.extend(([""] if lines and lines[-1].strip() else []) + list(new))

    heading, in_field = None, False
    for line in re.sub(r"``(.+?)``", r"`\1`", _SPHINX_ROLE.sub(role, doc)).splitlines():
        field = _SPHINX_FIELD.match(line)
        if in_field and not field and line[:1].isspace() and line.strip():
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            continue
        in_field = bool(field)
        if field and field["kind"] in ("return", "returns"):
            heading = None
            paragraph(f"**Returns:** {field['text']}")
        elif field:
            section = _FIELD_HEADINGS.get(field["kind"], field["kind"].capitalize())
            if section != heading:
                heading = section
                paragraph(f"**{heading}**", "")
            name = field["name"] and (f"`{field['name']}`" if heading == "Raises" else f"**{field['name']}**")
            lines.append(f"- {name}: {field['text']}" if name else f"- {field['text']}")
        else:
            heading = heading if not line.strip() else None
            lines.append(line)
    return "\n".join(lines).strip()


def _task_doc(task: Any) -> str | None:
    """The docstring of what the task runs: its TaskFlow function, or its operator class."""
    operator_class = getattr(task, "operator_class", type(task))
    name = operator_class if isinstance(operator_class, str) else operator_class.__name__
    if name in PROVIDER_TASK_DOCS:
        return PROVIDER_TASK_DOCS[name]
    kwargs = getattr(task, "partial_kwargs", {})
    callable_ = getattr(task, "python_callable", None) or kwargs.get("python_callable")
    return (callable_ or operator_class).__doc__


def document_tasks(dag: Any) -> Any:
    """
    Give every task of ``dag`` Markdown docs for the UI: its ``doc_md`` (which TaskFlow sets to the function's
    raw docstring) or else the docstring of what it runs, dedented and with its Sphinx markup made Markdown.
    """
    for task in dag.tasks:
        doc = task.doc_md or _task_doc(task)
        doc_md = sphinx_to_markdown(inspect.cleandoc(doc)) if doc else None
        if hasattr(task, "partial_kwargs"):  # a mapped task keeps its arguments there
            task.partial_kwargs["doc_md"] = doc_md
        else:
            task.doc_md = doc_md
    return dag
