"""The AWS console link on tasks that act on a user, and its registration as a plugin."""

from __future__ import annotations

import pytest

from iam_lifecycle.operators import offboarding, provisioning, users
from iam_lifecycle.operators.links import IamUserConsoleLink
from iam_lifecycle.operators.offboarding import DeleteLoginProfileOperator
from iam_lifecycle.operators.users import GetCallerIdentityOperator

KEY = None  # the link reads only the (rendered) operator, not the task instance key


def test_link_opens_the_user_in_the_iam_console():
    operator = DeleteLoginProfileOperator(task_id="delete_login_profile", user_name="first.last@example.com")

    assert IamUserConsoleLink().get_link(operator, ti_key=KEY) == (
        "https://console.aws.amazon.com/iam/home#/users/details/first.last@example.com"
    )


@pytest.mark.parametrize("user_name", ["{{ params.user_name }}", "arn:aws:iam::123456789012:user/alice", ""])
def test_no_link_for_what_is_not_a_user_name(user_name):
    operator = DeleteLoginProfileOperator(task_id="delete_login_profile", user_name=user_name)

    assert IamUserConsoleLink().get_link(operator, ti_key=KEY) == ""


def test_every_operator_acting_on_a_user_carries_the_link():
    user_operators = [
        cls
        for module in (offboarding, provisioning, users)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, users.IamUserOperator)
    ]

    assert len(user_operators) >= 10
    for cls in user_operators:
        assert [type(link) for link in cls.operator_extra_links] == [IamUserConsoleLink], cls.__name__
    assert not GetCallerIdentityOperator.operator_extra_links


def test_the_plugin_registers_the_link():
    from airflow import plugins_manager

    links = plugins_manager.get_operator_extra_links()

    assert IamUserConsoleLink.__name__ in [type(link).__name__ for link in links]
    assert plugins_manager.get_import_errors() == {}
