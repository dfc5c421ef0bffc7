"""Driving a running sandbox: boto3 clients on its moto server, the server's call log and faults, and the texts its
Slack stand-in received (see ``sandbox.moto_server`` and ``sandbox.slack_stub``).

The base of the tests' sandbox (``tests.fixtures.e2e.Sandbox``) and of the local stacks (``local.standalone``,
``local.distributed``), which add what they run around it.
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


@dataclass
class SandboxControl:
    moto_url: str
    slack: SlackStub

    def reset(self) -> None:
        """Start afresh: every account of the moto server emptied, no faults, no calls, no Slack messages."""
        urllib.request.urlopen(urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST")).close()
        self.set_faults({})
        self.clear_calls()
        self.clear_messages()

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
        request = urllib.request.Request(
            f"{self.moto_url}/_sandbox/faults",
            data=json.dumps(faults).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()

    def injected_faults(self) -> dict[str, int]:
        """How many faults were injected since they were last set, by ``action:error``."""
        with urllib.request.urlopen(f"{self.moto_url}/_sandbox/faults") as response:
            return json.load(response)

    @property
    def messages(self) -> list[str]:
        """The texts Slack received so far."""
        with self.slack.lock:
            return [m.get("text", "") for m in self.slack.messages]

    def clear_messages(self) -> None:
        with self.slack.lock:
            self.slack.messages.clear()
