"""Console passwords for provisioned users: generated here, kept only in AWS Secrets Manager.

The password goes into a new secret ``<prefix>/<user name>/<UTC timestamp>`` before the login profile is created
with it, so a password IAM accepted is never lost; only the secret's ARN is logged, returned and posted.
"""

from __future__ import annotations

import datetime
import secrets
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iam_lifecycle.aws.service_hooks import SecretsManagerHook

#: Where the secrets go; the least-privilege policy's ``secretsmanager:CreateSecret`` is scoped to it.
SECRET_PREFIX = "iam-lifecycle/console-password"


def random_password(length: int = 24) -> str:
    """A password meeting any IAM password policy: every character class, from a CSPRNG."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*()_+-=[]{}|"]
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice("".join(classes)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def store_console_password(
    secret_store: SecretsManagerHook,
    user_name: str,
    password: str,
    *,
    prefix: str = SECRET_PREFIX,
    now: datetime.datetime | None = None,
) -> str:
    """
    Keep ``password`` in a new secret ``<prefix>/<user_name>/<UTC timestamp>``; return the secret's ARN.

    One secret per login profile created: a returning user's old secret is left as it was.
    """
    created = now or datetime.datetime.now(datetime.UTC)
    return secret_store.create_secret(
        f"{prefix}/{user_name}/{created:%Y%m%dT%H%M%SZ}",
        password,
        f"Initial console password of IAM user {user_name} (reset required at first sign-in)",
    )
