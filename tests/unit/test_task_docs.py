"""Task docs in the UI are Markdown a person reads, made from docstrings written for Sphinx."""

from __future__ import annotations

import inspect

from iam_lifecycle.authoring.defaults import sphinx_to_markdown

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
