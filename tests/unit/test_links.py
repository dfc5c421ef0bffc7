"""The AWS console link on tasks that act on a user (in the user's account; for a deleted user, its CloudTrail
history), and its registration as a plugin."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from iam_lifecycle.operators import offboarding, provisioning, users
from iam_lifecycle.operators.links import IamUserConsoleLink, account_of
from iam_lifecycle.operators.offboarding import DeleteLoginProfileOperator, DeleteUserOperator
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

    if hasattr(plugins_manager, "get_operator_extra_links"):  # Airflow >= 3.2
        links, import_errors = plugins_manager.get_operator_extra_links(), plugins_manager.get_import_errors()
    else:  # 3.1 keeps both in module attributes
        plugins_manager.initialize_extra_operators_links_plugins()
        links, import_errors = plugins_manager.operator_extra_links, plugins_manager.import_errors

    assert IamUserConsoleLink.__name__ in [type(link).__name__ for link in links]
    assert import_errors == {}


MEMBER = "222222222222"


def test_a_member_account_user_opens_through_the_member_role_in_its_own_account():
    operator = DeleteLoginProfileOperator(
        task_id="delete_login_profile", user_name="alice", account_id=MEMBER, member_role_name="AuditRole"
    )

    link = IamUserConsoleLink().get_link(operator, ti_key=KEY)

    switch, query = link.split("?", 1)
    fields = dict(pair.split("=", 1) for pair in query.split("&"))
    assert switch == "https://signin.aws.amazon.com/switchrole"
    assert (fields["account"], fields["roleName"]) == (MEMBER, "AuditRole")
    assert unquote(fields["redirect_uri"]) == "https://console.aws.amazon.com/iam/home#/users/details/alice"


def test_the_deleting_task_leads_to_the_deleted_users_cloudtrail_history_in_its_account():
    user = {"UserName": "alice", "UserId": "AIDA", "Arn": f"arn:aws:iam::{MEMBER}:user/alice"}
    operator = DeleteUserOperator(
        task_id="delete_user",
        user_name="alice",
        user=user,
        caller_arn=None,
        snapshot_uri="s3://b/s.json",
        account_id=MEMBER,
    )

    link = unquote(IamUserConsoleLink().get_link(operator, ti_key=KEY))

    assert f"account={MEMBER}&roleName=IamLifecycleRole" in link
    assert link.endswith(
        "redirect_uri=https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1"
        "#/events?ResourceName=alice"
    )


def test_the_account_is_read_from_the_users_arn_when_the_run_names_no_member_account():
    user = {"UserName": "alice", "UserId": "AIDA", "Arn": "arn:aws:iam::123456789012:user/alice"}
    operator = DeleteUserOperator(
        task_id="delete_user", user_name="alice", user=user, caller_arn=None, snapshot_uri="s3://b/s.json"
    )

    assert account_of(operator) == "123456789012"
    # The connection's own account: no role to switch to, the history opens where the viewer is signed in.
    assert IamUserConsoleLink().get_link(operator, ti_key=KEY).startswith("https://us-east-1.console.aws.amazon.com/")
