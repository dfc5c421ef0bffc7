"""Starting and stopping the local stacks' server processes: each in a session of its own, stopped as a group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from local.stack_client import ROOT


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
