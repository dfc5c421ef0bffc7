"""Driving a running sandbox: boto3 clients on its moto server, the server's call log and faults, and the texts its
Slack stand-in received (see ``sandbox.moto_server`` and ``sandbox.slack_stub``).

The base of the tests' sandbox (``tests.fixtures.e2e.Sandbox``), of the local stacks (``local.standalone``,
``local.distributed``), which add what they run around it, and of the benchmarks (:class:`MotoControl`: the moto
server alone). :func:`aws_connection` is the one shape of an Airflow AWS connection on the sandbox.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

import boto3

from sandbox.slack_stub import SlackStub

#: The access key id and secret of the clients made here, unless an account is named (a 12-digit key selects it).
ACCESS_KEY = "testing"
#: What only reads; every other IAM action changes something.
READ_PREFIXES = ("Get", "List")


def aws_connection(moto_url: str, account: str | None = None, secret: str = ACCESS_KEY) -> dict:
    """
    An Airflow AWS connection (the JSON of ``AIRFLOW_CONN_…`` or the REST API's fields, ``extra`` as a dict) on the
    sandbox, acting in ``account`` (a 12-digit access key id selects it) or moto's default account.
    """
    return {
        "conn_type": "aws",
        "login": account or ACCESS_KEY,
        "password": secret,
        # The provider calls STS AssumeRole (member accounts) at service_config's sts endpoint, never endpoint_url.
        "extra": {
            "region_name": "us-east-1",
            "endpoint_url": moto_url,
            "service_config": {"sts": {"endpoint_url": moto_url}},
        },
    }


def _post_json(url: str, body: object, timeout: float = 120) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@dataclass
class MotoControl:
    """The sandbox's moto server: clients on it, its call log, its faults and its bulk seeding."""

    moto_url: str

    def reset(self) -> None:
        """Start afresh: every account of the moto server emptied, no faults, no calls."""
        urllib.request.urlopen(urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST")).close()
        self.set_faults({})
        self.clear_calls()

    def aws_connection(self, account: str | None = None) -> dict:
        """An Airflow AWS connection on this server (see :func:`aws_connection`)."""
        return aws_connection(self.moto_url, account)

    def client(self, service: str, account: str | None = None):
        """A boto3 client on the moto server, acting in ``account`` or in moto's default account."""
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.moto_url,
            aws_access_key_id=account or ACCESS_KEY,
            aws_secret_access_key=ACCESS_KEY,
        )

    @property
    def iam(self):
        return self.client("iam")

    def calls(self) -> list[dict]:
        """Every AWS call the moto server answered so far: ``service``, ``action``, ``params``, ``key``,
        ``account``, ``status``."""
        with urllib.request.urlopen(f"{self.moto_url}/_sandbox/calls", timeout=30) as response:
            return json.load(response)

    def mutating_calls(self) -> list[dict]:
        """IAM calls that change something."""
        return [c for c in self.calls() if c["service"] == "iam" and not c["action"].startswith(READ_PREFIXES)]

    def clear_calls(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.moto_url}/_sandbox/calls", method="DELETE")).close()

    def set_faults(self, faults: dict) -> None:
        """Faults the moto server injects from now on; ``{}``: none."""
        _post_json(f"{self.moto_url}/_sandbox/faults", faults)

    def bulk_users(self, count: int, with_keys: int = 1, prefix: str = "u", account: str | None = None) -> None:
        """``count`` users named ``<prefix><n>``, each with ``with_keys`` access keys, in one request."""
        body = {"count": count, "with_keys": with_keys, "prefix": prefix} | ({"account": account} if account else {})
        _post_json(f"{self.moto_url}/_sandbox/bulk_users", body)

    def injected_faults(self) -> dict[str, int]:
        """How many faults were injected since they were last set, by ``action:error``."""
        with urllib.request.urlopen(f"{self.moto_url}/_sandbox/faults") as response:
            return json.load(response)


@dataclass
class SandboxControl(MotoControl):
    """The moto server and the Slack stand-in."""

    slack: SlackStub

    def reset(self) -> None:
        """Start afresh: every account of the moto server emptied, no faults, no calls, no Slack messages."""
        super().reset()
        self.clear_messages()

    @property
    def messages(self) -> list[str]:
        """The texts Slack received so far."""
        with self.slack.lock:
            return [m.get("text", "") for m in self.slack.messages]

    def clear_messages(self) -> None:
        with self.slack.lock:
            self.slack.messages.clear()
