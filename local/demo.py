"""``make demo``: offboard a user holding every kind of IAM dependency, end to end, on this machine.

Starts a moto server (held to AWS's DeleteUser rule) and a Slack stand-in on 127.0.0.1, seeds the user and a
bystander, runs ``airflow dags test iam_user_offboarding`` on SQLite under ``.airflow/`` twice — a dry run,
then the real run — and prints the Slack messages and what each user held before and after. Exits non-zero if
the dry run changed anything or the user still exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import boto3

from sandbox.control import aws_connection
from sandbox.net import moto_server_process
from sandbox.seed import seed_user
from sandbox.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = ROOT / ".airflow"
USER, BYSTANDER = "departing.engineer", "staying.engineer"
KINDS = {
    "managed policies": lambda iam, u: len(iam.list_attached_user_policies(UserName=u)["AttachedPolicies"]),
    "inline policies": lambda iam, u: len(iam.list_user_policies(UserName=u)["PolicyNames"]),
    "groups": lambda iam, u: len(iam.list_groups_for_user(UserName=u)["Groups"]),
    "access keys": lambda iam, u: len(iam.list_access_keys(UserName=u)["AccessKeyMetadata"]),
    "login profile": lambda iam, u: int(_has_login_profile(iam, u)),
    "MFA devices": lambda iam, u: len(iam.list_mfa_devices(UserName=u)["MFADevices"]),
    "SSH public keys": lambda iam, u: len(iam.list_ssh_public_keys(UserName=u)["SSHPublicKeys"]),
    "signing certificates": lambda iam, u: len(iam.list_signing_certificates(UserName=u)["Certificates"]),
    "service-specific credentials": lambda iam, u: len(
        iam.list_service_specific_credentials(UserName=u)["ServiceSpecificCredentials"]
    ),
}


def _has_login_profile(iam, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def inventory(iam, user: str) -> dict[str, int] | None:
    """Counts per kind, or None when the user does not exist."""
    try:
        iam.get_user(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return None
    return {kind: count(iam, user) for kind, count in KINDS.items()}


def print_table(before: dict[str, dict | None], after: dict[str, dict | None]) -> None:
    users = list(before)
    print(f"\n{'':30}" + "".join(f"{u + ' before':>26}{u + ' after':>26}" for u in users))
    for kind in ["user exists", *KINDS]:
        row = f"{kind:30}"
        for user in users:
            for state in (before[user], after[user]):
                if kind == "user exists":
                    value = "yes" if state is not None else "no"
                else:
                    value = "-" if state is None else str(state[kind])
                row += f"{value:>26}"
        print(row)


def airflow(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "airflow"), *args]
    if log is None:
        return subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    with log.open("w") as out:
        return subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)


def run_offboarding(env: dict[str, str], calls_url: str, conf: dict, name: str) -> tuple[str, list[dict]]:
    """``airflow dags test`` one offboarding; return its final state and the IAM calls it made."""
    urllib.request.urlopen(urllib.request.Request(calls_url, method="DELETE"))
    log = AIRFLOW_HOME / f"demo-{name}.log"
    print(f"airflow dags test iam_user_offboarding -c '{json.dumps(conf)}'  (log: {log})")
    airflow(env, "dags", "test", "iam_user_offboarding", "-c", json.dumps(conf), log=log)
    finished = re.findall(r"DagRun Finished: .*?state=(\w+)", log.read_text())
    with urllib.request.urlopen(calls_url) as response:
        calls = [c for c in json.load(response) if c["service"] == "iam"]
    return (finished[-1] if finished else "unknown"), calls


def main() -> int:
    AIRFLOW_HOME.mkdir(exist_ok=True)
    started = contextlib.ExitStack()
    moto_url = started.enter_context(moto_server_process())
    slack = SlackStub(("127.0.0.1", 0), echo=True)
    threading.Thread(target=slack.serve_forever, daemon=True).start()
    try:
        print(f"moto server on {moto_url}; Slack stand-in on {slack.url}")
        iam = boto3.client(
            "iam",
            region_name="us-east-1",
            endpoint_url=moto_url,
            aws_access_key_id="demo",
            aws_secret_access_key="demo",
        )
        seed_user(iam, USER, tags={"team": "data"})
        seed_user(iam, BYSTANDER)
        before = {u: inventory(iam, u) for u in (USER, BYSTANDER)}

        env = {
            **os.environ,
            "AIRFLOW_HOME": str(AIRFLOW_HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws_connection(moto_url)),
            "AIRFLOW_CONN_SLACK_DEFAULT": json.dumps(
                {"conn_type": "slackwebhook", "host": slack.url, "password": "T0/B0/demo"}
            ),
        }
        print("Migrating the Airflow metadata DB (SQLite, .airflow/) ...")
        airflow(env, "db", "migrate")
        sandbox_calls = f"{moto_url}/_sandbox/calls"

        print("\n== 1. Dry run: the plan, posted to Slack; nothing may change ==")
        dry_state, dry_calls = run_offboarding(env, sandbox_calls, {"user_name": USER, "dry_run": True}, "dry-run")
        changes = [c["action"] for c in dry_calls if not c["action"].startswith(("Get", "List"))]
        print(f"Run state: {dry_state}; IAM calls: {len(dry_calls)}, of which changes: {len(changes)}")
        unchanged = inventory(iam, USER) == before[USER]
        print(f"{USER} unchanged: {'yes' if unchanged else 'NO'}")

        print("\n== 2. The real run ==")
        state, calls = run_offboarding(env, sandbox_calls, {"user_name": USER, "reason": "make demo"}, "offboarding")
        print(f"Run state: {state}; IAM calls: {len(calls)}")
        after = {u: inventory(iam, u) for u in (USER, BYSTANDER)}
        print_table(before, after)
        print("\nSlack received:")
        for message in slack.messages:
            print("  " + message.get("text", "").replace("\n", "\n  "))
        if changes or not unchanged:
            print("\nFAILED: the dry run changed something")
            return 1
        if after[USER] is not None:
            print(f"\nFAILED: {USER} still exists (see {AIRFLOW_HOME}/demo-offboarding.log)")
            return 1
        print(f"\nOK: {USER} is gone with everything it held; {BYSTANDER} is untouched.")
        return 0
    finally:
        slack.shutdown()
        started.close()


if __name__ == "__main__":
    sys.exit(main())
