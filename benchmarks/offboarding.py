"""Benchmarks 1 and 3: IAM calls per offboarding next to a plain boto3 script, and how long an offboarding run takes.

Every run is the real thing: ``airflow dags test iam_user_offboarding -c '{"user_name": ...}'`` in a subprocess,
on SQLite in a temporary ``AIRFLOW_HOME``, with environment-variable connections to a sandbox moto server and a
Slack stand-in. Calls are counted at the HTTP level from the moto server's call log.

The reference is ``benchmarks/plain_boto3.py``, a plain boto3 script that imports nothing of ours and makes the
fewest calls a correct offboarding makes. It runs (``python -m benchmarks.plain_boto3``) on the same server, on a
user of the same shape seeded the same way, just before each DAG run; its calls are counted the same way. The
server refuses DeleteUser as AWS does while the user holds anything, so either one failing to remove a kind fails
the benchmark.

For latency, the same number of ``airflow dags test`` runs is made of ``noop_offboarding``: a DAG generated from
the real one's graph (same task ids, edges, trigger rules and short-circuits, ``detach_user_policy`` mapped over
as many items as the "everything" user has managed policies) whose tasks do nothing. Its run time is Airflow's
own cost of the graph; the difference is the IAM work. Real and no-op runs alternate, so load on the machine hits
both alike.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from benchmarks.common import BIN, ROOT, moto_server, subprocess_env, summary
from benchmarks.noop_dag import DAG_ID, NOOP_DAG_ID, map_lengths, write_noop_dag
from sandbox.control import MotoControl, aws_connection
from sandbox.seed import EVERYTHING, NOTHING, seed_user
from sandbox.slack_stub import SlackStub

SHAPES = {
    "nothing": NOTHING,
    "one of each": {kind: 1 for kind in EVERYTHING} | {"login_profile": True},
    "everything": EVERYTHING,
    "everything, 50 managed policies": EVERYTHING | {"managed_policies": 50},
}
LATENCY_SHAPE = "everything"
REPETITIONS = 3
TASK_STARTED = re.compile(r"^(\S+Z) .*\[DAG TEST\] running task", re.MULTILINE)
RUN_FINISHED = re.compile(r"^(\S+Z) .*DagRun Finished", re.MULTILINE)
#: IAM's quota of managed policies attached to one user: by default, and the most a quota increase allows.
AWS_MANAGED_POLICIES_PER_USER = {"default": 10, "max": 20}


def items(shape: dict) -> int:
    return sum(count for kind, count in shape.items() if kind != "login_profile") + int(shape["login_profile"])


# ---- running DAGs ---------------------------------------------------------------------------------------------


def airflow_env(home: Path, moto_url: str, slack_url: str) -> dict[str, str]:
    aws = aws_connection(moto_url)
    slack = {"conn_type": "slackwebhook", "host": slack_url, "password": "T0/B0/bench"}
    return subprocess_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps(aws),
        AIRFLOW_CONN_SLACK_DEFAULT=json.dumps(slack),
        AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI=f"file://{home}/snapshots",
    )


def dags_test(env: dict[str, str], dag_id: str, conf: dict, log: Path) -> dict:
    """One ``airflow dags test``: wall time of the process, the run's own duration, its state, tasks run."""
    started = time.perf_counter()
    with log.open("w") as out:
        subprocess.run(
            [str(BIN / "airflow"), "dags", "test", dag_id, "-c", json.dumps(conf)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=900,
        )
    wall = time.perf_counter() - started
    text = log.read_text()
    finished = re.findall(r"DagRun Finished: .*?run_duration=([\d.]+), state=(\w+)", text)
    if not finished or finished[-1][1] != "success":
        raise RuntimeError(f"airflow dags test {dag_id} did not succeed; see {log}")
    # Each task runs from its "running task" line to the next one's (or the end of the run).
    marks = [datetime.fromisoformat(stamp) for stamp in TASK_STARTED.findall(text)]
    marks += [datetime.fromisoformat(stamp) for stamp in RUN_FINISHED.findall(text)[-1:]]
    task_seconds = [(end - start).total_seconds() for start, end in zip(marks, marks[1:], strict=False)]
    return {
        "wall": wall,
        "run_duration": float(finished[-1][0]),
        "tasks_run": text.count("[DAG TEST] running task"),
        "first_task": task_seconds[0],
        "later_task_median": statistics.median(task_seconds[1:]),
    }


def _user_name(prefix: str, label: str, n: int) -> str:
    return f"{prefix}-{label.replace(' ', '-').replace(',', '')}-{n}"


def _iam_and_sts_calls(moto: MotoControl) -> list[str]:
    return [c["action"] for c in moto.calls() if c["service"] in ("iam", "sts")]


def _assert_gone(iam, user: str, see: str) -> None:
    try:
        iam.get_user(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return
    raise RuntimeError(f"{user} still exists after its offboarding; see {see}")


def _offboard(moto: MotoControl, env: dict[str, str], home: Path, label: str, shape: dict, n: int) -> dict:
    """Offboard a freshly seeded user of ``shape`` with ``airflow dags test``; its run and its calls."""
    iam = moto.iam
    user = _user_name("bench", label, n)
    seed_user(iam, user, shape)
    moto.clear_calls()
    log = home / f"bench-{user}.log"
    run = dags_test(env, DAG_ID, {"user_name": user, "reason": "make bench"}, log)
    calls = _iam_and_sts_calls(moto)
    _assert_gone(iam, user, str(log))
    return run | {"calls": calls}


def _offboard_plain(moto: MotoControl, label: str, shape: dict, n: int) -> dict:
    """Offboard a freshly seeded user of ``shape`` with ``python -m benchmarks.plain_boto3``; its times and calls."""
    iam = moto.iam
    user = _user_name("plain", label, n)
    seed_user(iam, user, shape)
    moto.clear_calls()
    # Only the repository root on the path: the script cannot import iam_lifecycle even by mistake.
    env = subprocess_env(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    env["PYTHONPATH"] = str(ROOT)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.plain_boto3", user, "--endpoint-url", moto.moto_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"the plain boto3 script failed on {user}:\n{result.stderr[-3000:]}")
    calls = _iam_and_sts_calls(moto)
    _assert_gone(iam, user, "the plain boto3 script")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    held = {kind: int(count) for kind, count in shape.items()}
    if answer["removed"] != held:
        raise RuntimeError(f"the plain boto3 script removed {answer['removed']} from {user}, which held {held}")
    return {"wall": wall, "seconds": answer["seconds"], "calls": calls}


def _by_action(calls: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in calls:
        counts[action] = counts.get(action, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _calls_summary(runs: list[dict]) -> dict:
    """The calls of the first run, by action, and whether every run made the same calls."""
    return {
        "calls": len(runs[0]["calls"]),
        "by_action": _by_action(runs[0]["calls"]),
        "deterministic": len({tuple(sorted(r["calls"])) for r in runs}) == 1,
    }


def run(home: Path, log=print) -> dict:
    """Benchmark 1 (calls per shape, plain script and ours) and the ``airflow dags test`` part of benchmark 3."""
    slack = SlackStub(("127.0.0.1", 0))
    threading.Thread(target=slack.serve_forever, daemon=True).start()
    lengths = map_lengths(SHAPES[LATENCY_SHAPE])
    try:
        with moto_server() as moto:
            env = airflow_env(home, moto.moto_url, slack.url)
            log("  airflow db migrate ...")
            subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
            noop_folder = home / "noop-dags"
            write_noop_dag(env, noop_folder, lengths)
            noop_env = env | {"AIRFLOW__CORE__DAGS_FOLDER": str(noop_folder)}

            shapes, latency = {}, {"real": [], "noop": []}
            for label, shape in SHAPES.items():
                runs = REPETITIONS if label == LATENCY_SHAPE else 1
                plain_results, results = [], []
                for n in range(runs):
                    plain = _offboard_plain(moto, label, shape, n)
                    plain_results.append(plain)
                    log(f"  {label}, plain boto3 script: {len(plain['calls'])} calls, {plain['wall']:.1f} s")
                    result = _offboard(moto, env, home, label, shape, n)
                    results.append(result)
                    log(
                        f"  {label}, ours: {len(result['calls'])} calls, dags test {result['wall']:.1f} s "
                        f"(run {result['run_duration']:.1f} s, {result['tasks_run']} tasks)"
                    )
                    if label == LATENCY_SHAPE:
                        noop = dags_test(noop_env, NOOP_DAG_ID, {}, home / f"bench-noop-{n}.log")
                        latency["real"].append(result)
                        latency["noop"].append(noop)
                        log(
                            f"  no-op twin: dags test {noop['wall']:.1f} s (run {noop['run_duration']:.1f} s, "
                            f"{noop['tasks_run']} tasks)"
                        )
                shapes[label] = {
                    "shape": shape,
                    "items": items(shape),
                    "plain": _calls_summary(plain_results)
                    | {
                        "wall": summary([r["wall"] for r in plain_results]),
                        "seconds": summary([r["seconds"] for r in plain_results]),
                    },
                    "ours": _calls_summary(results)
                    | {
                        "wall": summary([r["wall"] for r in results]),
                        "run_duration": summary([r["run_duration"] for r in results]),
                        "tasks_run": results[0]["tasks_run"],
                    },
                }
    finally:
        slack.shutdown()
        slack.server_close()
    return {
        "shapes": shapes,
        "aws_managed_policies_per_user": AWS_MANAGED_POLICIES_PER_USER,
        "latency_shape": LATENCY_SHAPE,
        "seed_everything_shape": next((label for label, shape in SHAPES.items() if shape == EVERYTHING), None),
        "latency": {
            "noop_map_lengths": lengths,
            **{
                kind: {
                    "wall": summary([r["wall"] for r in runs]),
                    "run_duration": summary([r["run_duration"] for r in runs]),
                    "first_task": summary([r["first_task"] for r in runs]),
                    "later_task_median": summary([r["later_task_median"] for r in runs]),
                    "tasks_run": runs[0]["tasks_run"],
                }
                for kind, runs in latency.items()
            },
        },
    }
