"""Benchmark 6: bulk offboarding on the distributed stack (CeleryExecutor, PostgreSQL, Redis, two Celery workers).

The load of ``tests/distributed/test_load.py`` without its faults' extras (``local.load``): 50 stale users deleted
by ``iam_stale_user_reconciliation`` in mode ``delete`` (``max_users`` 50), each through its own
``iam_user_offboarding`` run, with 20 % of IAM's mutating calls answered ``Throttling``; once in one account, once
spread over five (ten each, one connection per account in ``aws_conn_ids``). Measured: trigger to the
reconciliation's end (its approval answered as soon as it is asked), the IAM calls by action, and the CPU seconds
each part of the stack used. Each load runs on a stack of its own (``local.distributed``), started afresh.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from benchmarks.common import ROOT
from sandbox.control import aws_connection

sys.path.insert(0, str(ROOT / "plugins"))  # local.load names the approval task as the package does

from local.distributed import distributed  # noqa: E402
from local.load import seed_idle_users, start_deleting  # noqa: E402
from local.standalone import RECONCILIATION_DAG_ID  # noqa: E402

USERS = 50
THROTTLED = 0.2
#: Five accounts of the sandbox server, each selected by its 12-digit access key id.
ACCOUNTS = [f"{n}" * 12 for n in range(1, 6)]


def _add_connection(stack, conn_id: str, account: str) -> None:
    connection = aws_connection(stack.moto_url, account)
    stack.api("POST", "/connections", connection | {"connection_id": conn_id, "extra": json.dumps(connection["extra"])})


def _cpu_seconds(stack) -> dict[str, float]:
    """CPU seconds each Airflow component and worker used so far: its process group, exited children included."""
    import psutil

    by_group: Counter[int] = Counter()
    for process in psutil.process_iter():
        try:
            times = process.cpu_times()
            by_group[os.getpgid(process.pid)] += times.user + times.system + times.children_user + times.children_system
        except (psutil.Error, ProcessLookupError):
            continue
    processes = stack.components | {worker.name: worker.process for worker in stack.workers}
    return {name: round(by_group[process.pid], 1) for name, process in processes.items()}


def _load(accounts: list[str | None], log) -> dict:
    # The benchmark's one user both triggers and approves: a policy that says so explicitly (four eyes aside).
    policy = {"AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_POLICY": json.dumps({"requester_may_approve": True})}
    with distributed(dag_ids=(RECONCILIATION_DAG_ID, "iam_user_offboarding"), extra_env=policy) as stack:
        conn_ids = []
        per_account = USERS // len(accounts)
        for index, account in enumerate(accounts):
            names = [f"stale-{index}-{i:02d}" for i in range(per_account)]
            seed_idle_users(stack, names, account=account)
            if account:
                conn_ids.append(f"aws_account_{index}")
                _add_connection(stack, conn_ids[-1], account)
        stack.clear_calls()
        stack.set_faults({"throttle_fraction": THROTTLED, "throttle_mutating_only": True, "seed": 15})
        started = time.monotonic()
        run_id = start_deleting(stack, {"max_users": USERS} | ({"aws_conn_ids": conn_ids} if conn_ids else {}))
        state = stack.wait_for_run(run_id, dag_id=RECONCILIATION_DAG_ID, timeout=900)
        seconds = time.monotonic() - started
        calls = [c for c in stack.calls() if c["service"] == "iam"]
        left = sum(len(stack.client("iam", a).list_users()["Users"]) for a in accounts)
        if state != "success" or left:
            raise RuntimeError(f"the load did not delete every user: run {state}, {left} users left")
        result = {
            "accounts": len(accounts),
            "users": USERS,
            "seconds": round(seconds, 1),
            "iam_calls": len(calls),
            "by_action": dict(Counter(c["action"] for c in calls).most_common()),
            "throttled": sum(stack.injected_faults().values()),
            "cpu_seconds": _cpu_seconds(stack),
        }
    log(f"  {len(accounts)} account(s): {result['seconds']:.0f} s, {result['iam_calls']} IAM calls")
    return result


def run(log=print) -> dict:
    return {"loads": [_load([None], log), _load(ACCOUNTS, log)], "throttled_fraction": THROTTLED}


def headline(results: dict) -> str:
    parts = [
        f"{load['accounts']} account(s) {load['seconds']:.0f} s, {load['iam_calls']} IAM calls"
        for load in results["distributed"]["loads"]
    ]
    return f"50 users deleted on CeleryExecutor: {'; '.join(parts)}"


def markdown_section(results: dict) -> list[str]:
    """The BENCHMARKS.md section (``report.write_markdown`` adds it when the results have it)."""
    from benchmarks.report_text import actions, bullet, para

    loads = results["distributed"]["loads"]
    lines = [
        "## 6. Bulk offboarding on a distributed Airflow",
        "",
        para(
            "The docker-compose stack's configuration without Docker (`local/distributed.py`): CeleryExecutor with "
            "two workers, PostgreSQL, Redis, a scheduler, dag-processor, api-server and triggerer, all on this "
            f"machine's 2 cores. The reconciliation in mode `delete` deletes {USERS} stale users (a console "
            "password, an access key and a managed policy each), each through its own `iam_user_offboarding` run, "
            f"at most 16 at once, with {results['distributed']['throttled_fraction']:.0%} of IAM's mutating calls "
            "answered `Throttling`; its approval is answered as soon as it is asked. Time is from the REST trigger to "
            "the reconciliation's end; every user was confirmed gone."
        ),
        "",
        "| accounts | trigger to done | per user | IAM calls | per user | throttled (retried by the client) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for load in loads:
        lines.append(
            f"| {load['accounts']} | {load['seconds']:.0f} s | {load['seconds'] / load['users']:.1f} s | "
            f"{load['iam_calls']:,} | {load['iam_calls'] / load['users']:.1f} | {load['throttled']} |"
        )
    first = loads[0]
    cpu = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in first["cpu_seconds"].items())
    lines += [
        "",
        bullet(f"IAM calls in one account, by action: {actions(first['by_action'])}."),
        bullet(f"CPU seconds by part of the stack, one account: {cpu}."),
        "",
    ]
    return lines
