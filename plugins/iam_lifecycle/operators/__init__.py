"""Operators, one per IAM action on a user, in the style of the Amazon provider's operators.

- :mod:`iam_lifecycle.operators.users`: who the run acts as; reading and tagging a user.
- :mod:`iam_lifecycle.operators.offboarding`: listing and removing what a user holds, and deleting it.
- :mod:`iam_lifecycle.operators.provisioning`: creating a user and granting it groups, policies and console access.

Every operator takes the provider's common keyword arguments (all optional): ``aws_conn_id`` (the Airflow
connection for AWS credentials, default ``aws_default``; its extra may set ``region_name``, ``endpoint_url``,
``config_kwargs`` and ``account_id``), ``region_name`` (IAM is global, so this only picks the endpoint),
``verify`` and ``botocore_config``, and, to act in a member account of an AWS Organization through its role
assumed with that connection's credentials, ``account_id``, ``member_role_name`` and ``role_session_name``
(:class:`~iam_lifecycle.operators.users.MemberAccountOperator`). Return values are plain JSON so they show in the
XCom tab.
"""
