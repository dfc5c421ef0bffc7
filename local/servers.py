"""The distributed stack's servers, run from the machine's own packages on free loopback ports: PostgreSQL (the
metadata DB and Celery's result backend) and Redis (the broker)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from local.processes import _start, _stop, _wait_until
from sandbox.net import free_port

#: PostgreSQL refuses to run as root; as root, its servers run as this user (Debian's package creates it).
POSTGRES_USER = "postgres"


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program: on the PATH, or in Debian's versioned folder."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql)")
    return found


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    with contextlib.suppress(KeyError):
        pwd.getpwnam(POSTGRES_USER)
        return ["runuser", "-u", POSTGRES_USER, "--", *command]
    subprocess.run(["useradd", "--system", "--no-create-home", POSTGRES_USER], check=True)
    return ["runuser", "-u", POSTGRES_USER, "--", *command]


@contextlib.contextmanager
def postgres_server(scratch: Path) -> Iterator[str]:
    """A PostgreSQL server on a free loopback port, with a database and user ``airflow``; yields host:port."""
    data = scratch / "postgres"
    data.mkdir()
    log = scratch / "postgres.log"  # beside its data: the server's user may write only there
    log.touch()
    command = _as_postgres([])
    if command:
        shutil.chown(data, POSTGRES_USER)
        shutil.chown(log, POSTGRES_USER)
    subprocess.run(
        [*command, postgres_bin("initdb"), "-D", str(data), "-U", "airflow", "--auth=trust", "--no-sync"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = f"-k {data} -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off -c max_connections=300"
    subprocess.run(
        [*command, postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="airflow", dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE airflow")
        connection.close()
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*command, postgres_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )


@contextlib.contextmanager
def redis_server(scratch: Path, log: Path) -> Iterator[str]:
    """A Redis server on a free loopback port, nothing persisted; yields host:port."""
    port = free_port()
    process = _start(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(scratch)],
        dict(os.environ),
        log,
    )
    try:
        _wait_until(lambda: _redis_ping(port), 30, "redis", log, process)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(process)


def _redis_ping(port: int) -> bool:
    import redis

    return redis.Redis(host="127.0.0.1", port=port).ping()
