"""Task docs in the UI are Markdown a person reads, made from docstrings written for Sphinx: what the task does,
without the developer's field list."""

from __future__ import annotations

import inspect
from pathlib import Path

from iam_lifecycle.authoring.defaults import WHERE_DETAILS_ARE, prose_of, sphinx_to_markdown

OPERATOR_DOCSTRING = """
    Create an IAM user; fail (without retry) if it exists. See :mod:`iam_lifecycle.aws.iam_hook` and
    :meth:`~iam_lifecycle.aws.iam_hook.IamHook.create_user`, :class:`the hook <iam_lifecycle.aws.iam_hook.IamHook>`.

    :param user_name: the new user's name (templated).
    :param tags: tag key -> value, e.g. ``{"team": "platform"}``
        (templated).
    :return: the user's ``UserName``, ``UserId`` and ``Arn``, as
        :func:`iam_lifecycle.aws.iam_hook.user_as_data` gives them.
    :raises AirflowFailException: the user already exists.

    Return values are plain JSON.
"""


def test_an_operator_docstring_becomes_markdown():
    assert sphinx_to_markdown(inspect.cleandoc(OPERATOR_DOCSTRING)) == (
        "Create an IAM user; fail (without retry) if it exists. See `iam_lifecycle.aws.iam_hook` and\n"
        "`create_user`, `the hook`.\n"
        "\n"
        "**Parameters**\n"
        "\n"
        "- **user_name**: the new user's name (templated).\n"
        '- **tags**: tag key -> value, e.g. `{"team": "platform"}` (templated).\n'
        "\n"
        "**Returns:** the user's `UserName`, `UserId` and `Arn`, "
        "as `iam_lifecycle.aws.iam_hook.user_as_data` gives them.\n"
        "\n"
        "**Raises**\n"
        "\n"
        "- `AirflowFailException`: the user already exists.\n"
        "\n"
        "Return values are plain JSON."
    )


def test_markdown_without_sphinx_markup_is_left_alone():
    doc = "Posts the message to Slack.\n\n- one\n- two: `code` and **bold**, at 10:30."
    assert sphinx_to_markdown(doc) == doc


def test_a_task_page_shows_the_prose_and_points_to_where_the_runs_values_are():
    doc = prose_of(inspect.cleandoc(OPERATOR_DOCSTRING))

    assert doc.startswith("Create an IAM user; fail (without retry) if it exists.")
    assert "Return values are plain JSON." in doc
    for developer_detail in ("**Parameters**", "**Returns:**", "**Raises**", "user_name", "(templated)"):
        assert developer_detail not in doc
    assert doc.endswith(WHERE_DETAILS_ARE)


def test_a_parenthesis_that_only_points_at_code_is_left_out():
    doc = "Reads the user again (see :func:`offboarding.user_deletion.delete_user`), then deletes it (`UserId`)."

    assert prose_of(doc) == "Reads the user again, then deletes it (`UserId`)."


def test_no_task_of_the_dags_shows_a_developers_field_list():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(Path(__file__).resolve().parents[2] / "dags"))
    assert dagbag.import_errors == {}
    docs = {
        (dag.dag_id, task.task_id): (task.partial_kwargs if hasattr(task, "partial_kwargs") else vars(task)).get(
            "doc_md"
        )
        or ""
        for dag in dagbag.dags.values()
        for task in dag.tasks
    }
    assert len(docs) > 30
    for key, doc in docs.items():
        assert doc.strip(), key
        assert "**Returns:**" not in doc and "**Parameters**" not in doc and "as `iam_lifecycle" not in doc, key
