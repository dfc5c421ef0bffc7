"""What every lifecycle DAG shares: its start date, default task arguments, the AWS connection param, task docs."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pendulum

from iam_lifecycle.aws.retries import IamRetryPolicy
from iam_lifecycle.messages.alerts import alert_failure

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")
#: How the DAGs run only when triggered (a person, the REST API, or another DAG): no schedule, no catch-up.
ON_DEMAND = {"schedule": None, "start_date": START_DATE, "catchup": False}


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


#: The default arguments that make every AWS operator of a run act where its params say: the connection
#: ``aws_conn_id``, or its member account ``account_id`` through the role ``member_role_name``.
RUN_ACCOUNT_ARGS = {
    "aws_conn_id": "{{ params.aws_conn_id }}",
    "account_id": "{{ params.account_id or '' }}",  # null would render as "None"
    "member_role_name": "{{ params.member_role_name or '' }}",
}

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


#: Where a task's page shows what the field list of a docstring is about, for this very run.
WHERE_DETAILS_ARE = "*This run's arguments are under **Rendered Templates**; what the task handed on, under **XCom**.*"
#: A parenthesis that only points a developer at code: "(see `iam_lifecycle.x`)", "(`offboarding.plan.Y`)".
_CODE_REFERENCE = re.compile(r"\s*\((?:see |as )?`~?[A-Za-z_]\w*(?:\.\w+)+`\)")


def prose_of(doc: str) -> str:
    """
    A dedented docstring as a person reads it in a task's page: its prose, as Markdown, without the Sphinx field
    list (parameters, return value, exceptions: written for developers, and shown for the run itself under
    Rendered Templates and XCom, which the doc then points to) or parentheses that only point at code.
    """
    kept, in_field = [], False
    for line in doc.splitlines():
        if _SPHINX_FIELD.match(line):
            in_field = True
            continue
        if in_field and (line[:1].isspace() and line.strip()):
            continue  # a field's continuation line
        in_field = False
        kept.append(line)
    prose = _CODE_REFERENCE.sub("", sphinx_to_markdown("\n".join(kept).strip()))
    return f"{prose}\n\n{WHERE_DETAILS_ARE}" if len(kept) < len(doc.splitlines()) else prose


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
    raw docstring) or else the docstring of what it runs, dedented, as prose (:func:`prose_of`).
    """
    for task in dag.tasks:
        doc = task.doc_md or _task_doc(task)
        doc_md = prose_of(inspect.cleandoc(doc)) if doc else None
        if hasattr(task, "partial_kwargs"):  # a mapped task keeps its arguments there
            task.partial_kwargs["doc_md"] = doc_md
        else:
            task.doc_md = doc_md
    return dag
