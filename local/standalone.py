"""``make airflow``: the whole Airflow (``airflow standalone``) on this machine, wired to local AWS and Slack stand-ins.

``standalone()`` is a context manager that starts, on free ports of 127.0.0.1, a sandbox moto server, a Slack
stand-in and ``airflow standalone`` (scheduler, dag-processor, api-server and triggerer; LocalExecutor, SQLite,
simple auth) with this project's DAGs and plugins, waits until the offboarding DAG is parsed, yields a
``Standalone`` handle (REST client, CLI runner, boto3 IAM client on the moto server, Slack messages) and stops
everything it started on exit. Tests and ``local/screenshots.py`` use it; ``python -m local.standalone`` seeds
a demo user and back-dated users for the stale-user reconciliation, and keeps it running until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from local.processes import _start, _stop, _wait_until, port_is_free, stop_together
from local.stack_client import BIN, DAG_ID, FINISHED, RECONCILIATION_DAG_ID, ROOT, Standalone
from sandbox.control import aws_connection
from sandbox.net import free_port, wait_for_http
from sandbox.seed import seed_back_dated_users, seed_user
from sandbox.slack_stub import SlackStub

#: Names other modules import from here (the stack's handle and its process helpers live in their own modules).
__all__ = [
    "BIN",
    "DAG_ID",
    "FINISHED",
    "RECONCILIATION_DAG_ID",
    "ROOT",
    "Standalone",
    "_start",
    "_stop",
    "_wait_until",
    "airflow_env",
    "standalone",
    "stop_together",
    "wait_until_ready",
]

DEFAULT_HOME = ROOT / ".airflow" / "standalone"
DEMO_USER, BYSTANDER = "departing.engineer", "staying.engineer"


def airflow_env(home: Path, api_port: int, moto_url: str, slack_url: str) -> dict[str, str]:
    """The environment of ``airflow standalone`` and of CLI commands run against it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    # Bytecode caching makes each of the many airflow interpreters start about twice as fast.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        # standalone starts its components as `airflow ...` subprocesses: they must find this venv's airflow.
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=f"http://localhost:{api_port}",
        # Without it, tasks report to the default port 8080 and fail with "Connection refused".
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://localhost:{api_port}/execution/",
        # Log servers get free ports too, so two stacks (or a stack and a test) can run side by side.
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(aws_connection(moto_url)),
        AIRFLOW_CONN_SLACK_DEFAULT=json.dumps(
            {"conn_type": "slackwebhook", "host": slack_url, "password": "T0/B0/standalone"}
        ),
        AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS=json.dumps(["break-glass-*"]),
        AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI=f"file://{home}/snapshots",
    )
    return env


def wait_until_ready(stack: Standalone, process: subprocess.Popen, dag_ids: tuple[str, ...], timeout: float) -> None:
    """Wait until the API says every component is healthy and each DAG of ``dag_ids`` is parsed."""

    def healthy() -> bool:
        with urllib.request.urlopen(f"{stack.url}/api/v2/monitor/health", timeout=5) as response:
            health = json.load(response)
        return all(
            (health.get(part) or {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "dag_processor", "triggerer")
        )

    _wait_until(healthy, timeout, "the Airflow components", stack.log, process)
    for dag_id in dag_ids:
        _wait_until(lambda d=dag_id: stack.api("GET", f"/dags/{d}"), timeout, f"DAG {dag_id}", stack.log, process)


@contextlib.contextmanager
def standalone(
    home: Path = DEFAULT_HOME,
    *,
    api_port: int | None = None,
    extra_env: dict[str, str] | None = None,
    dag_ids: tuple[str, ...] = (DAG_ID,),
    timeout: float = 240,
) -> Iterator[Standalone]:
    """
    Start moto, the Slack stand-in and ``airflow standalone``; yield once the DAGs in ``dag_ids`` are parsed.

    :param home: the AIRFLOW_HOME (SQLite DB, logs, generated password); created if missing.
    :param api_port: the UI/REST port (a free one by default).
    :param extra_env: more environment for the Airflow processes, e.g. ``[core]`` options.
    :param timeout: seconds to wait for the stack to be ready before giving up (and stopping it).
    """
    home.mkdir(parents=True, exist_ok=True)
    log = home / "standalone.log"
    log.write_text("")
    moto_port, api_port = free_port(), api_port or free_port()
    moto_url = f"http://127.0.0.1:{moto_port}"
    processes: list[subprocess.Popen] = []
    slack = SlackStub(("127.0.0.1", 0), echo=True)
    threading.Thread(target=slack.serve_forever, daemon=True).start()
    try:
        processes.append(
            _start([sys.executable, "-m", "sandbox.moto_server", "--port", str(moto_port)], dict(os.environ), log)
        )
        wait_for_http(f"{moto_url}/_sandbox/calls")
        env = airflow_env(home, api_port, moto_url, slack.url) | (extra_env or {})
        airflow = _start([str(BIN / "airflow"), "standalone"], env, log)
        processes.append(airflow)
        stack = Standalone(
            url=f"http://localhost:{api_port}", moto_url=moto_url, slack=slack, home=home, env=env, log=log
        )

        wait_until_ready(stack, airflow, dag_ids, timeout)
        yield stack
    finally:
        for process in reversed(processes):
            _stop(process)
        slack.shutdown()
        slack.server_close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Stop cleanly on Ctrl-C even when started with SIGINT ignored (a background job), and on `kill`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    api_port = 8080 if port_is_free(8080) else free_port()
    print(f"Starting airflow standalone under {DEFAULT_HOME.relative_to(ROOT)} (first start migrates the DB) ...")
    try:
        with standalone(api_port=api_port) as stack:
            seed_user(stack.iam, DEMO_USER, tags={"team": "data"})
            seed_user(stack.iam, BYSTANDER)
            back_dated = seed_back_dated_users(stack.iam, stack.moto_url)
            login = "every user is admin" if stack.all_admins else f"user {stack.username}, password {stack.password}"
            print(
                f"\nAirflow is ready: {stack.url}  (login: {login})\n"
                f"  moto server (IAM, STS): {stack.moto_url}; Slack stand-in: {stack.slack.url}\n"
                f"  seeded IAM users: {DEMO_USER} (holds one of everything), {BYSTANDER} (bystander)\n"
                f'  trigger {DAG_ID} with {{"user_name": "{DEMO_USER}"}} from the UI, or:\n'
                f"    AIRFLOW_HOME={stack.home} {BIN.relative_to(ROOT)}/airflow dags trigger {DAG_ID} "
                f'--conf \'{{"user_name": "{DEMO_USER}"}}\'\n'
                f"  back-dated IAM users (created 200 days ago); what {RECONCILIATION_DAG_ID} reports of them with "
                "its defaults (mode report, 90 days; disable or delete act on the stale ones):\n"
                + "".join(f"    {name}: {finding}\n" for name, finding in back_dated.items())
                + f"  trigger it from the UI, or: AIRFLOW_HOME={stack.home} {BIN.relative_to(ROOT)}/airflow dags "
                f"trigger {RECONCILIATION_DAG_ID}\n"
                f"  Airflow's own output: {stack.log}\n"
                "Slack messages appear below. Ctrl-C stops everything.\n",
                flush=True,
            )
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
