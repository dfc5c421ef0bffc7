"""Console passwords: strong, and kept only in a new Secrets Manager secret named after the user and time."""

from __future__ import annotations

import datetime
import string

import boto3

from iam_lifecycle.aws.service_hooks import SecretsManagerHook
from iam_lifecycle.provisioning.console_password import random_password, store_console_password


def test_a_password_has_every_character_class_and_the_length_asked():
    for length in (12, 24, 64):
        password = random_password(length)
        assert len(password) == length
        assert any(c in string.ascii_lowercase for c in password)
        assert any(c in string.ascii_uppercase for c in password)
        assert any(c in string.digits for c in password)
        assert any(c in "!@#$%^&*()_+-=[]{}|" for c in password)
    assert len({random_password() for _ in range(20)}) == 20


def test_the_password_goes_to_a_new_secret_named_by_user_and_time(aws):
    now = datetime.datetime(2026, 11, 28, 12, 0, 0, tzinfo=datetime.UTC)

    arn = store_console_password(SecretsManagerHook(aws_conn_id="aws_default"), "alice", "S3cret!pass", now=now)

    secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=arn)
    assert secret["Name"] == "iam-lifecycle/console-password/alice/20261128T120000Z"
    assert secret["SecretString"] == "S3cret!pass"
