"""What every benchmark needs: a sandbox moto server of its own (``sandbox.control.MotoControl``), summaries of
repeated timings, the machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from sandbox.control import MotoControl
from sandbox.net import moto_server_process

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = (
    "apache-airflow",
    "apache-airflow-task-sdk",
    "apache-airflow-providers-amazon",
    "apache-airflow-providers-slack",
    "apache-airflow-providers-standard",
    "boto3",
    "botocore",
    "moto",
)


@contextlib.contextmanager
def moto_server() -> Iterator[MotoControl]:
    """A ``python -m sandbox.moto_server`` process on a free port of 127.0.0.1, stopped on exit."""
    with moto_server_process() as url:
        yield MotoControl(url)


def summary(values: list[float]) -> dict:
    """Median, range and the values themselves."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": list(values)}


def subprocess_env(**extra: str) -> dict[str, str]:
    """This environment without Airflow settings, with bytecode caching on (as in a deployment), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "plugins")])
    env.update(extra)
    return env


def run_module(args: list[str], env: dict[str, str], what: str, timeout: float = 1800) -> Any:
    """Run ``python -m <args>`` from the repository root; the JSON its last output line holds. Raise if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    return None


def machine() -> dict:
    """The CPU, cores, memory, OS and load this run had."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "load_average": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found
