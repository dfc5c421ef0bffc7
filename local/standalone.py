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
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sandbox.control import SandboxControl
from sandbox.net import free_port, wait_for_http
from sandbox.seed import seed_back_dated_users, seed_user
from sandbox.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = ROOT / ".airflow" / "standalone"
BIN = Path(sys.executable).parent
DAG_ID = "iam_user_offboarding"
RECONCILIATION_DAG_ID = "iam_stale_user_reconciliation"
DEMO_USER, BYSTANDER = "departing.engineer", "staying.engineer"
FINISHED = {"success", "failed"}


@dataclass
class Standalone(SandboxControl):
    """A running stack: where it listens, and small clients for it (its sandbox's: :class:`SandboxControl`)."""

    url: str
    home: Path
    env: dict[str, str]
    log: Path
    username: str = "admin"
    _token: str | None = field(default=None, repr=False)

    @property
    def password(self) -> str | None:
        """The admin password the simple auth manager generated (None when every user is admin)."""
        path = self.home / "simple_auth_manager_passwords.json.generated"
        if not path.exists():
            return None
        return json.loads(path.read_text()).get(self.username)

    @property
    def all_admins(self) -> bool:
        return self.env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").lower() == "true"

    def as_user(self, username: str) -> Standalone:
        """The same stack, with every request made as another user of the simple auth manager."""
        return replace(self, username=username, _token=None)

    def token(self) -> str:
        """A JWT, got the way a client gets one: ``POST /auth/token`` with the user's credentials (admin's)."""
        if self._token is None:
            if self.all_admins:
                response = self._request("GET", "/auth/token", auth=False)
            else:
                body = {"username": self.username, "password": self.password}
                response = self._request("POST", "/auth/token", body, auth=False)
            self._token = response["access_token"]
        return self._token

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise RuntimeError(f"{method} {path} answered {error.code}: {detail}") from None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API (``/api/v2`` + ``path``) with a bearer token; return the decoded JSON."""
        return self._request(method, "/api/v2" + path, body)

    def trigger(self, conf: dict, dag_id: str = DAG_ID, attempts: int = 4) -> str:
        """
        Trigger a run through the REST API; return its run id.

        All components share one SQLite file, so the API now and then answers 500 ("Database error") while the
        scheduler writes: then it checks whether the run exists (the id is chosen here) before trying again.
        """
        run_id = f"manual__{uuid.uuid4()}"
        path = f"/dags/{dag_id}/dagRuns"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": conf}
        for attempt in range(1, attempts):
            try:
                return self.api("POST", path, body)["dag_run_id"]
            except RuntimeError as error:
                if " answered 500:" not in str(error):
                    raise
            time.sleep(attempt)
            with contextlib.suppress(RuntimeError):  # 404 until the run exists
                return self.api("GET", f"{path}/{run_id}")["dag_run_id"]
        return self.api("POST", path, body)["dag_run_id"]

    def wait_for_run(self, run_id: str, dag_id: str = DAG_ID, timeout: float = 120) -> str:
        """Poll the run until it ends; return its state (raise TimeoutError after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in FINISHED:
                return state
            time.sleep(1)
        raise TimeoutError(f"run {run_id} of {dag_id} did not finish within {timeout} s (the stack logs to {self.log})")

    def finished_task_instances(self) -> int:
        """How many task instances of every DAG have ended (succeeded, failed or skipped): the stack's progress."""
        states = "".join(f"&state={state}" for state in ("success", "failed", "skipped", "upstream_failed"))
        return self.api("GET", f"/dags/~/dagRuns/~/taskInstances?limit=1{states}")["total_entries"]

    def wait_while_progressing(self, run_id: str, dag_id: str = DAG_ID, stall: float = 150, cap: float = 1800) -> str:
        """
        Poll the run until it ends and return its state, for as long as the stack makes progress: raise
        TimeoutError when no task instance of any DAG has ended for ``stall`` seconds (a hang), or after ``cap``.
        A slow machine only makes it wait longer; a run that can no longer finish is told apart from a slow one.
        """
        start = last_change = time.monotonic()
        seen = None
        while (now := time.monotonic()) - start < cap:
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in FINISHED:
                return state
            if (progress := self.finished_task_instances()) != seen:
                seen, last_change = progress, now
            elif now - last_change > stall:
                raise TimeoutError(
                    f"run {run_id} of {dag_id} made no progress for {stall:.0f} s: no task instance of any DAG "
                    f"ended (still {state}; {seen} ended in all)"
                )
            time.sleep(2)
        raise TimeoutError(f"run {run_id} of {dag_id} did not finish within {cap:.0f} s, though still progressing")

    def wait_for_task(
        self, run_id: str, task_id: str, states: set[str], dag_id: str = DAG_ID, timeout: float = 120
    ) -> str:
        """Poll a task instance until it is in one of ``states``; return it (raise TimeoutError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):  # 404 until the scheduler creates the task instance
                state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")["state"]
                if state in states:
                    return state
            time.sleep(1)
        raise TimeoutError(f"{task_id} of run {run_id} not in {states} within {timeout} s; see {self.log}")

    def wait_for_approval(self, task_id: str, *run_ids: str, dag_id: str = DAG_ID, timeout: float = 120) -> None:
        """
        Wait until the human-in-the-loop task of each run waits for an answer, and a moment more: Airflow 3.3.2's
        scheduler must first handle the executor's report that the task's process ended (parked). An answer within
        that instant makes it see a state "changed externally", retry the task, and ask again.
        """
        for run_id in run_ids:
            self.wait_for_task(run_id, task_id, {"awaiting_input"}, dag_id=dag_id, timeout=timeout)
        time.sleep(2)

    def answer(self, run_id: str, option: str, task_id: str, dag_id: str = DAG_ID) -> dict:
        """Answer a waiting human-in-the-loop task as its page does: ``PATCH …/hitlDetails``, as this user."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails"
        return self.api("PATCH", path, {"chosen_options": [option], "params_input": {}})

    def task_states(self, run_id: str, dag_id: str = DAG_ID) -> dict[str, str | None]:
        instances = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")["task_instances"]
        return {
            ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]": ti["state"]
            for ti in instances
        }

    def airflow(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run an ``airflow`` CLI command against this stack (same home, DB and connections)."""
        return subprocess.run(
            [str(BIN / "airflow"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
            {
                "conn_type": "aws",
                "login": "sandbox",
                "password": "sandbox",
                "extra": {
                    "region_name": "us-east-1",
                    "endpoint_url": moto_url,
                    # STS AssumeRole (member accounts of an organization) never uses endpoint_url in the provider.
                    "service_config": {"sts": {"endpoint_url": moto_url}},
                },
            }
        ),
        AIRFLOW_CONN_SLACK_DEFAULT=json.dumps(
            {"conn_type": "slackwebhook", "host": slack_url, "password": "T0/B0/standalone"}
        ),
        AIRFLOW_VAR_IAM_LIFECYCLE_PROTECTED_USERS=json.dumps(["break-glass-*"]),
        AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI=f"file://{home}/snapshots",
    )
    return env


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        # A session of its own: Ctrl-C reaches only us, and we stop the whole group (children included).
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``timeout`` seconds."""
    stop_together([process], timeout)


def stop_together(processes: list[subprocess.Popen], timeout: float = 20) -> None:
    """:func:`_stop` for several processes at once: all are asked to stop first, so their shutdowns overlap."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    # Children of a group leader may outlive it; make sure none is left.
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _wait_until(check, timeout: float, what: str, log: Path, process: subprocess.Popen) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[1] if len(process.args) > 1 else process.args[0]} exited with {process.returncode} "
                f"while waiting for {what}; see {log}"
            )
        with contextlib.suppress(OSError, RuntimeError, KeyError, ValueError):
            if result := check():
                return result
        time.sleep(1)
    raise TimeoutError(f"{what} not ready within {timeout} s; see {log}")


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
