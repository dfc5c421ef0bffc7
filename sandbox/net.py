"""Small helpers for starting local stand-in servers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30) -> None:
    """Return once ``url`` answers; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def moto_server_process(env: dict[str, str] | None = None) -> Iterator[str]:
    """A ``python -m sandbox.moto_server`` process on a free port of 127.0.0.1; yields its URL, stops it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.moto_server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/_sandbox/calls")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
