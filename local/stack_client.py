"""The handle on a running Airflow of :mod:`local.standalone` (and :mod:`local.distributed`): where it listens, and
small clients for it: REST with a token of a simple-auth-manager user, triggering and waiting for runs, answering
approvals, the ``airflow`` CLI. Its sandbox's clients (moto, Slack) come from :class:`sandbox.control.SandboxControl`.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DAG_ID = "iam_user_offboarding"
RECONCILIATION_DAG_ID = "iam_stale_user_reconciliation"
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
