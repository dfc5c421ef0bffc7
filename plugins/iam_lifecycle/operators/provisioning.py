"""Creating an IAM user and granting it groups, policies and console access (see :mod:`provisioning.spec`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from iam_lifecycle.aws.service_hooks import SecretsManagerHook
from iam_lifecycle.errors import nothing_changed, nothing_more_changed
from iam_lifecycle.operators.approved import ApprovedChangeMixin
from iam_lifecycle.operators.users import IamUserOperator, account_template_fields
from iam_lifecycle.patterns import invalid_user_name_reason
from iam_lifecycle.provisioning import spec as provisioning
from iam_lifecycle.provisioning.console_password import SECRET_PREFIX, random_password, store_console_password

if TYPE_CHECKING:
    from airflow.sdk import Context


class CreateUserOperator(ApprovedChangeMixin, IamUserOperator):
    """
    Create an IAM user with its path, tags and permissions boundary, plus marker tags that let a later attempt
    recognise it; fail (without retry) if a user of that name exists without one of the markers.

    A user that exists and carries one of ``markers`` (see `iam_lifecycle.provisioning.spec`) is this run's own, e.g.
    CreateUser's response was lost and the client's retry met the user, or an unfinished restore of the same
    snapshot: it is returned, and the grants downstream complete it.

    :param user_name: the new user's name (templated).
    :param path: the user's path, e.g. ``/staff/`` (templated).
    :param tags: tag key -> value (templated).
    :param permissions_boundary: ARN of the managed policy to use as boundary, or None (templated).
    :param markers: marker tag key -> value, added to ``tags`` (templated).
    :return: the user's ``UserName``, ``UserId``, ``Arn``, and ``continued`` (True when it already existed).
    """

    template_fields: Sequence[str] = account_template_fields(
        "user_name", "path", "tags", "permissions_boundary", "markers"
    )

    def __init__(
        self,
        *,
        path: str = "/",
        tags: dict[str, str] | None = None,
        permissions_boundary: str | None = None,
        markers: dict[str, str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.tags = tags
        self.permissions_boundary = permissions_boundary
        self.markers = markers

    def execute(self, context: Context) -> dict[str, Any]:
        if reason := invalid_user_name_reason(self.user_name):
            raise nothing_changed(reason)
        markers = dict(self.markers or {})
        # Checked first so a refusal makes no mutating call.
        user = self.hook.get_user(self.user_name)
        if user is None:
            self.log.info("Creating IAM user %s with markers %s", self.user_name, markers)
            created = self.hook.create_user(
                self.user_name, self.path, dict(self.tags or {}) | markers, self.permissions_boundary
            )
            if created is not None:
                return {key: created[key] for key in ("UserName", "UserId", "Arn")} | {"continued": False}
            # EntityAlreadyExists: our own CreateUser whose response was lost, or someone else's user.
            user = self.hook.get_user(self.user_name)
            if user is None:
                raise RuntimeError(f"IAM user {self.user_name!r} was reported to exist but is gone; try again")
        tags = {tag["Key"]: tag["Value"] for tag in user.get("Tags", [])}
        if reason := provisioning.existing_user_reason(self.user_name, tags, markers):
            raise nothing_changed(reason)
        self.log.info("IAM user %s exists with this run's marker (%s): completing it", self.user_name, tags)
        return {key: user[key] for key in ("UserName", "UserId", "Arn")} | {"continued": True}


class GrantUserOperator(ApprovedChangeMixin, IamUserOperator):
    """
    Give a user its groups (AddUserToGroup), managed policies (AttachUserPolicy) and inline policies
    (PutUserPolicy), one call each. Every call is safe to repeat, so a resumed run repeats them all.

    :param user_name: the IAM user's name (templated).
    :param group_names: the groups' names (templated).
    :param policy_arns: the managed policies' ARNs (templated).
    :param policy_documents: inline policy name -> policy document (templated).
    :return: ``{"groups": [...], "managed_policies": [...], "inline_policies": [...names]}``.
    """

    template_fields: Sequence[str] = account_template_fields(
        "user_name", "group_names", "policy_arns", "policy_documents"
    )
    template_fields_renderers = {"policy_documents": "json"}

    def __init__(
        self,
        *,
        group_names: list[str],
        policy_arns: list[str],
        policy_documents: dict[str, Any],
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.group_names = group_names
        self.policy_arns = policy_arns
        self.policy_documents = policy_documents

    def execute(self, context: Context) -> dict[str, list[str]]:
        # resolve_spec checked them before CreateUser; checked again here, where they are put, before any grant.
        if reason := provisioning.invalid_inline_policies_reason(self.user_name, dict(self.policy_documents or {})):
            raise nothing_more_changed(reason)
        self.log.info(
            "Granting %s groups %s, managed policies %s, inline policies %s",
            self.user_name,
            self.group_names,
            self.policy_arns,
            list(self.policy_documents or {}),
        )
        return provisioning.grant(
            self.hook,
            self.user_name,
            list(self.group_names or []),
            list(self.policy_arns or []),
            dict(self.policy_documents or {}),
        )


class CreateLoginProfileOperator(ApprovedChangeMixin, IamUserOperator):
    """
    Give a user console access with a random password kept only in AWS Secrets Manager.

    The password must be changed at first sign-in. It is stored in a new secret
    ``<secret_prefix>/<user_name>/<UTC timestamp>`` before the login profile is created, and only the secret's
    ARN is logged and returned (see `provisioning.console_password`). A user that already has a console password
    (e.g. from the earlier attempt a resumed restore completes) keeps it: no secret, no new password.

    :param user_name: the IAM user's name (templated).
    :param console_access: when false, do nothing (templated).
    :param secret_prefix: prefix of the secret's name.
    :return: ``{"secret_arn": ...}``; ``{"secret_arn": None, "left_as_it_was": True}`` when the user already had
        a console password; None without console access.
    """

    template_fields: Sequence[str] = account_template_fields("user_name", "console_access")

    def __init__(self, *, console_access: bool, secret_prefix: str = SECRET_PREFIX, **kwargs) -> None:
        super().__init__(**kwargs)
        self.console_access = console_access
        self.secret_prefix = secret_prefix

    def execute(self, context: Context) -> dict[str, Any] | None:
        if not self.console_access:
            self.log.info("No console access asked for %s", self.user_name)
            return None
        if self.hook.has_login_profile(self.user_name):
            self.log.info("%s already has a console password; it is left as it was", self.user_name)
            return {"secret_arn": None, "left_as_it_was": True}
        self.log.info("Creating a console password for %s, kept in Secrets Manager", self.user_name)
        password = random_password()
        secret_store = SecretsManagerHook(**self._hook_parameters)
        secret_arn = store_console_password(secret_store, self.user_name, password, prefix=self.secret_prefix)
        self.hook.create_login_profile(self.user_name, password)
        self.log.info("Console password of %s stored in %s", self.user_name, secret_arn)
        return {"secret_arn": secret_arn}
