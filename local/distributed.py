"""
The docker-compose stack without Docker: Airflow on the CeleryExecutor, PostgreSQL and Redis, on this machine.

``distributed()`` starts, in a scratch directory and on free ports of 127.0.0.1, PostgreSQL (from the machine's
own packages) and Redis (Debian's ``redis-server``), the sandbox moto server and Slack stand-in, and Airflow's
scheduler, dag-processor, api-server, triggerer and two Celery workers with this project's DAGs. The executor,
broker, result backend and metadata database are read from ``docker-compose.yaml`` (only the host names
``postgres`` and ``redis`` become the local servers' addresses), so what runs here is the compose stack's
configuration. It yields a :class:`Stack` handle (the same clients as ``airflow standalone``'s, plus the workers)
and stops every process it started on exit, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from local.servers import postgres_server, redis_server
from local.standalone import (
    BIN,
    ROOT,
    Standalone,
    _start,
    _stop,
    _wait_until,
    airflow_env,
    stop_together,
    wait_until_ready,
)
from sandbox.net import free_port, wait_for_http
from sandbox.slack_stub import SlackStub

COMPOSE_FILE = ROOT / "docker-compose.yaml"
#: The settings taken from docker-compose.yaml as they are, but for the servers' addresses: executor, metadata DB,
#: result backend, broker and the workers' Celery settings.
COMPOSE_SETTINGS = (
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS",
)
WORKERS = ("worker-1", "worker-2")


@dataclass
class Worker:
    """A Celery worker (``airflow celery worker``): its name, which is also its task instances' hostname."""

    name: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    _log_offset: int = 0

    def start(self) -> None:
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        command = ["celery", "worker", "--celery-hostname", f"{self.name}@%h", "--without-mingle", "--without-gossip"]
        self.process = _start([str(BIN / "airflow"), *command], self.env, self.log)

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Return once Celery says the worker (as last started) is ready."""
        ready = lambda: b" ready." in self.log.read_bytes()[self._log_offset :]  # noqa: E731
        _wait_until(ready, timeout, self.name, self.log, self.process)

    def kill(self, timeout: float = 10) -> None:
        """
        SIGKILL the worker and every process it started (its pool, its tasks, its log server), as an out-of-memory
        kill or a lost node would; return once none of them runs any more.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while self.running_processes() and time.monotonic() < deadline:
            time.sleep(0.1)

    def running_processes(self) -> list[int]:
        """The worker's processes (its pool, its tasks) still running: not yet exited, nor exited unreaped."""
        import psutil

        group = self.process.pid
        alive = []
        for process in psutil.process_iter(["status"]):
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(process.pid)
        return alive

    def restart(self) -> None:
        """Start the worker again (after :meth:`kill`) and wait until it is ready."""
        self.start()
        self.wait_until_ready()


@dataclass
class Stack(Standalone):
    """A running distributed stack: the standalone stack's clients, plus its Celery workers."""

    workers: list[Worker] = field(default_factory=list)
    #: The other Airflow components by name (api-server, scheduler, dag-processor, triggerer).
    components: dict[str, subprocess.Popen] = field(default_factory=dict)

    def keep_logs(self, destination: Path) -> Path:
        """
        Copy every log of the stack (scheduler, dag-processor, api-server, triggerer, workers, moto, Redis,
        PostgreSQL, and the task logs) to ``destination``, which outlives the stack's scratch folder; return it.
        """
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.log, destination / "components", dirs_exist_ok=True)
        if (self.home / "logs").exists():
            shutil.copytree(self.home / "logs", destination / "tasks", dirs_exist_ok=True)
        postgres = self.home.parent / "postgres.log"
        if postgres.exists():
            shutil.copy(postgres, destination / "components" / "postgres.log")
        return destination


def compose_settings(postgres: str, redis: str) -> dict[str, str]:
    """
    The executor, metadata DB, result backend and broker of docker-compose.yaml's Airflow services, with the
    compose hosts ``postgres`` and ``redis`` replaced by ``postgres`` and ``redis`` (``host:port``).
    """
    environment = yaml.safe_load(COMPOSE_FILE.read_text())["x-airflow-common"]["environment"]
    addresses = {"postgres": postgres, "redis": redis}

    def local(value: str) -> str:
        parts = urlsplit(value)
        if parts.hostname not in addresses:
            return value
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@{addresses[parts.hostname]}" if credentials else addresses[parts.hostname]
        return urlunsplit(parts._replace(netloc=netloc))

    return {name: local(environment[name]) for name in COMPOSE_SETTINGS}


@contextlib.contextmanager
def distributed(
    *, extra_env: dict[str, str] | None = None, dag_ids: tuple[str, ...] = (), timeout: float = 240
) -> Iterator[Stack]:
    """
    Start the whole stack; yield once every component is up and the DAGs in ``dag_ids`` are parsed.

    :param extra_env: more environment for the Airflow processes, e.g. ``[core]`` options.
    :param timeout: seconds to wait for the stack to be ready before giving up (and stopping it).
    """
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="iam-lifecycle-distributed-")))
        scratch.chmod(0o755)  # PostgreSQL's user must reach its data folder
        home = scratch / "airflow"
        logs = scratch / "logs"
        logs.mkdir()
        postgres = stack.enter_context(postgres_server(scratch))
        redis = stack.enter_context(redis_server(scratch, logs / "redis.log"))
        slack = SlackStub(("127.0.0.1", 0), echo=False)
        stack.enter_context(_serving(slack))
        moto_port, api_port = free_port(), free_port()
        moto_url = f"http://127.0.0.1:{moto_port}"
        moto = _start(
            [str(BIN / "python"), "-m", "sandbox.moto_server", "--port", str(moto_port)], None, logs / "moto.log"
        )
        stack.callback(_stop, moto)
        wait_for_http(f"{moto_url}/_sandbox/calls")

        env = (
            airflow_env(home, api_port, moto_url, slack.url)
            | compose_settings(postgres, redis)
            | {
                # Every component must sign and check the same tokens.
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                # A killed worker's task instances are noticed within half a minute, not 5 and 10 minutes: those
                # it ran (no heartbeat) are retried, those it had taken from the queue but not started are queued
                # again.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "30",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "5",
                # The DAG files do not change while the stack runs: parsed once, not every 30 s.
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
                # Each worker's task instances carry its name as their hostname (sandbox.hostname).
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "sandbox.hostname.worker_name",
                "PYTHONPATH": str(ROOT),
            }
            | (extra_env or {})
        )
        subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=(logs / "migrate.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        # The Airflow processes (the workers as last started) are stopped together: their shutdowns overlap.
        components: dict[str, subprocess.Popen] = {}
        workers: list[Worker] = []
        stack.callback(lambda: stop_together([*components.values(), *(w.process for w in workers if w.process)]))
        components |= {
            name: _start([str(BIN / "airflow"), *command], env, logs / f"{name}.log")
            for name, command in {
                "api-server": ["api-server", "--port", str(api_port)],
                "scheduler": ["scheduler"],
                "dag-processor": ["dag-processor"],
                "triggerer": ["triggerer"],
            }.items()
        }
        workers += [
            Worker(
                name,
                env | {"SANDBOX_WORKER_NAME": name, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
                logs / f"{name}.log",
            )
            for name in WORKERS
        ]
        for worker in workers:
            worker.start()
        handle = Stack(
            url=f"http://localhost:{api_port}",
            moto_url=moto_url,
            slack=slack,
            home=home,
            env=env,
            log=logs,
            workers=workers,
            components=components,
        )
        wait_until_ready(handle, components["scheduler"], dag_ids, timeout)
        for worker in workers:
            worker.wait_until_ready(timeout)
        yield handle


@contextlib.contextmanager
def _serving(slack: SlackStub) -> Iterator[SlackStub]:
    import threading

    threading.Thread(target=slack.serve_forever, daemon=True).start()
    try:
        yield slack
    finally:
        slack.shutdown()
        slack.server_close()
