"""Benchmark 4: what each DAG file costs to parse beyond importing Airflow and the providers.

Each round is a fresh interpreter (``python -m benchmarks.parse``) that imports :data:`PRELOADED` and then,
per DAG file, forks a child that starts from exactly that state and:

* executes the DAG file the way Airflow's DagBag does (``importlib`` spec, ``exec_module``) and times it:
  the *parse* time, which includes importing ``iam_lifecycle`` and whatever else the file needs;
* executes it a second time under another module name, everything now imported: the time to build the DAG
  objects alone.

A last child imports each of :data:`ALSO_TIMED` alone: provider modules a DAG file imports that are not preloaded.

Bytecode caching is on (as in a deployment), and a first round, not counted, writes the caches. Each timed
execution starts right after a full garbage collection: a collection of Airflow's large heap (~0.1-0.2 s) would
otherwise land in some samples and not others.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, subprocess_env, summary

ROUNDS = 7
PRELOADED = (
    "airflow.sdk",
    "airflow.providers.amazon.aws.hooks.base_aws",
    "airflow.providers.slack.operators.slack_webhook",
)

#: Provider modules the DAG files import beyond PRELOADED, timed alone.
ALSO_TIMED = ("airflow.providers.standard.operators.trigger_dagrun",)


def _exec_dag_file(path: Path, module_name: str) -> float:
    gc.collect()  # each sample starts from the same collector state; else a full collection lands in some
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return time.perf_counter() - started


def _import_time(module: str) -> float:
    gc.collect()
    started = time.perf_counter()
    importlib.import_module(module)
    return time.perf_counter() - started


def _in_child(measure) -> dict:
    """Fork; run ``measure()`` in the child, which starts from this process's state; return its result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            os.write(write_end, json.dumps(measure()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError("the measurement failed in the child process")
    return json.loads(data)


def _measure_dag_file(path: Path) -> dict:
    return {
        "parse": _exec_dag_file(path, f"bench_dag_{path.stem}"),
        "build": _exec_dag_file(path, f"bench_dag_{path.stem}_again"),
    }


def worker() -> dict:
    """In a fresh interpreter: import Airflow and the providers, then measure each DAG file in a forked child."""
    started = time.perf_counter()
    for module in PRELOADED:
        importlib.import_module(module)
    preload = time.perf_counter() - started
    sys.path.insert(0, str(ROOT / "plugins"))
    files = sorted((ROOT / "dags").glob("*.py"))
    return {
        "preload": preload,
        "files": {path.name: _in_child(lambda path=path: _measure_dag_file(path)) for path in files},
        "imports": _in_child(lambda: {module: _import_time(module) for module in ALSO_TIMED}),
    }


def run(home: str, log=print) -> dict:
    env = subprocess_env(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
    )
    rounds = []
    for n in range(ROUNDS + 1):
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.parse"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"parse benchmark failed:\n{result.stderr[-3000:]}")
        if n:  # round 0 writes the bytecode caches
            rounds.append(json.loads(result.stdout.strip().splitlines()[-1]))
    files = sorted(rounds[0]["files"])
    results = {
        "rounds": ROUNDS,
        "preloaded": list(PRELOADED),
        "preload_seconds": summary([r["preload"] for r in rounds]),
        "imports": {module: summary([r["imports"][module] for r in rounds]) for module in ALSO_TIMED},
        "imported_by": {
            module: [name for name in files if module in (ROOT / "dags" / name).read_text()] for module in ALSO_TIMED
        },
        "files": {
            name: {kind: summary([r["files"][name][kind] for r in rounds]) for kind in ("parse", "build")}
            for name in files
        },
    }
    for name, times in results["files"].items():
        log(f"  {name}: parse {times['parse']['median'] * 1000:.0f} ms, build {times['build']['median'] * 1000:.0f} ms")
    return results


if __name__ == "__main__":
    print(json.dumps(worker()))
