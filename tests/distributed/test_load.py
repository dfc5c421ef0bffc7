"""Bulk offboarding on the distributed stack (CeleryExecutor, PostgreSQL, Redis, two Celery workers): stale users
deleted by the reconciliation in mode delete, each in its own iam_user_offboarding run, while more runs are
triggered for other users (REST and CLI) and two race for one user; 20 % of IAM's mutating calls are throttled,
and one worker is SIGKILLed while offboarding tasks run on it.

What a lost worker does to runs does not depend on how many users there are: five stale users and five direct
runs keep both workers busy when one is killed. The 50-user load is measured by ``make bench`` (BENCHMARKS.md,
section 6). The runs are waited on for as long as the stack makes progress, so a slow machine is not a failure
and a hang is; a failed test keeps the stack's logs under ``.test-logs/`` (see ``tests.fixtures.distributed``)."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY
from iam_lifecycle.operators.links import CLOUDTRAIL_USER_EVENTS_URL
from local.load import seed_idle_users, start_deleting
from local.standalone import RECONCILIATION_DAG_ID
from tests.fixtures.distributed import APPROVER, NOT_AN_APPROVER, ON_THE_STACK
from tests.helpers import holdings, user_exists

pytestmark = pytest.mark.e2e

OFFBOARDING = "iam_user_offboarding"
ACCOUNT = "123456789012"
USERS = 5
#: stale-00 is the least stale: over the cap of USERS, it stays.
NAMES = [f"stale-{i:02d}" for i in range(USERS + 1)]
READS = ("Get", "List")
CALLER = "arn:aws:sts::123456789012:user/moto"
#: Offboarded by runs of their own at the same time: two triggered over REST, one with the CLI; and one user for
#: whom two runs race.
DIRECT, RACED = [f"user.{i}" for i in range(2)] + ["cli.user"], "twice.user"


def offboarding_task_instances(stack, **filters) -> list[dict]:
    """Every task instance of every iam_user_offboarding run, all pages."""
    found, offset = [], 0
    query = "".join(f"&{key}={value}" for key, value in filters.items())
    while True:
        page = stack.api("GET", f"/dags/{OFFBOARDING}/dagRuns/~/taskInstances?limit=100&offset={offset}{query}")
        found += page["task_instances"]
        offset += 100
        if offset >= page["total_entries"]:
            return found


#: The first listings are held a while (DELAYED), so a listing task is surely mid-flight when its worker is killed.
HELD_ACTION, DELAYED = "ListAccessKeys", [5, 12]


def kill_a_worker_while_it_offboards(stack, timeout: float = 120) -> tuple[object, list[dict]]:
    """Wait until worker-1 runs a listing task held in its AWS call, SIGKILL it; return it and what it was running."""
    worker = stack.workers[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [ti for ti in offboarding_task_instances(stack, state="running") if ti["hostname"] == worker.name]
        if any(ti["task_id"] == "list_user_holdings" for ti in running):
            worker.kill()
            return worker, [ti for ti in running if ti["task_id"] == "list_user_holdings"]
        time.sleep(0.5)
    raise TimeoutError(f"no listing ran on {worker.name} within {timeout} s")


@ON_THE_STACK
def test_stale_users_are_each_deleted_once_under_throttling_with_a_worker_killed(stack):
    seed_idle_users(stack, NAMES)
    # Bystanders: one in use, two stale but protected (by the Variable's pattern, by the tag).
    seed_idle_users(stack, ["active"], idle_days=1)
    seed_idle_users(stack, ["break-glass-admin"], idle_days=300)
    seed_idle_users(stack, ["tagged"], idle_days=300, tags={"lifecycle:protected": "true"})
    seed_idle_users(stack, [*DIRECT, RACED], idle_days=1)
    bystanders = {name: holdings(stack.iam, name) for name in ("active", "break-glass-admin", "tagged", NAMES[0])}
    stack.clear_calls()
    stack.set_faults(
        {"throttle_fraction": 0.2, "throttle_mutating_only": True, "seed": 15, "delay": {HELD_ACTION: DELAYED}}
    )

    run_id = start_deleting(stack, {"max_users": USERS}, requested_by=NOT_AN_APPROVER)
    direct = trigger_direct_runs_and_a_race(stack)
    worker, killed_tasks = kill_a_worker_while_it_offboards(stack)
    assert worker.running_processes() == [], "a process of the killed worker survived"
    worker.restart()
    state = stack.wait_while_progressing(run_id, dag_id=RECONCILIATION_DAG_ID)
    direct_states = {run: stack.wait_while_progressing(run) for run in direct}
    calls = stack.calls()

    assert state == "success", stack.task_states(run_id, dag_id=RECONCILIATION_DAG_ID)
    # Only changes were throttled, and often: about a fifth of some 70.
    throttled = stack.injected_faults()
    throttled = {key: n for key, n in throttled.items() if key.endswith(":Throttling")}
    assert sum(throttled.values()) >= 5, throttled
    assert not any(key.startswith(READS) for key in throttled), throttled
    deleted = NAMES[1:]
    # Every one of the 50 and of the others is gone, deleted by exactly one successful DeleteUser; the bystanders
    # are untouched.
    assert [name for name in [*deleted, *DIRECT, RACED] if user_exists(stack.iam, name)] == []
    successes = Counter(c["params"]["UserName"] for c in calls if c["action"] == "DeleteUser" and c["status"] == 200)
    assert successes == Counter([*deleted, *DIRECT, RACED])
    for name, held in bystanders.items():
        assert holdings(stack.iam, name) == held, name
    assert not [c for c in calls if c["params"].get("UserName") in bystanders and not c["action"].startswith(READS)]
    # One "deleted" message per user, naming the approver for the stale ones; one summary.
    for name in [*deleted, *DIRECT, RACED]:
        assert sum(m.startswith(f"IAM user {name} deleted by {CALLER}") for m in stack.messages) == 1, name
    assert sum(f", approved by {APPROVER}\n" in m for m in stack.messages) == USERS
    assert any(m for m in stack.messages if f"Offboarded {USERS}, each by its own iam_user_offboarding run: " in m)

    # One offboarding run per user, naming the reconciliation's run (whose approval it checks) and its reason.
    runs = [
        r
        for r in stack.api("GET", f"/dags/{OFFBOARDING}/dagRuns?limit=100")["dag_runs"]
        if run_id in (r["conf"].get("reason") or "")
    ]
    assert sorted(r["conf"]["user_name"] for r in runs) == deleted
    parent = {"dag_id": RECONCILIATION_DAG_ID, "run_id": run_id}
    assert {(r["state"], str(r["conf"][APPROVAL_RUN_KEY])) for r in runs} == {("success", str(parent))}
    for name in deleted:
        # (Two, when the killed worker was writing this one's: the retry writes it again.)
        snapshots = [json.loads(s.read_text()) for s in (stack.home / "snapshots" / ACCOUNT / name).glob("*.json")]
        assert snapshots and all(s["reason"].startswith("stale: idle ") for s in snapshots), name
        assert {(s["requested_by"], s["approved_by"]) for s in snapshots} == {(NOT_AN_APPROVER, APPROVER)}, name

    # Both workers did work; what the killed one was running was retried and finished.
    instances = offboarding_task_instances(stack)
    assert {ti["hostname"] for ti in instances} >= {"worker-1", "worker-2"}
    by_key = {(ti["dag_run_id"], ti["task_id"], ti["map_index"]): ti for ti in instances}
    for killed in killed_tasks:
        retried = by_key[(killed["dag_run_id"], killed["task_id"], killed["map_index"])]
        assert (retried["state"], retried["try_number"] > killed["try_number"]) == ("success", True), retried
    check_direct_runs_and_the_race(stack, direct_states)


def trigger_direct_runs_and_a_race(stack) -> list[str]:
    """Offboard DIRECT, each by its own run (REST, and the CLI for the last), and RACED by two runs at once."""
    runs = [stack.trigger({"user_name": name, "reason": "e2e REST"}) for name in DIRECT[:-1]]
    conf = json.dumps({"user_name": DIRECT[-1]})
    result = stack.airflow("dags", "trigger", OFFBOARDING, "--conf", conf, "-o", "json")
    # The CLI logs before it prints the run as a JSON list on its last line.
    (cli_run,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert cli_run["conf"] == {"user_name": DIRECT[-1]}
    return [*runs, cli_run["dag_run_id"], *(stack.trigger({"user_name": RACED, "reason": f"race {i}"}) for i in (1, 2))]


def check_direct_runs_and_the_race(stack, states: dict[str, str]) -> None:
    *runs, first, second = states
    assert [states[run] for run in runs] == ["success"] * len(DIRECT), {run: stack.task_states(run) for run in runs}
    links = stack.api("GET", f"/dags/{OFFBOARDING}/dagRuns/{runs[0]}/taskInstances/delete_user/links")
    # The deleting task's link leads to the deleted user's CloudTrail history, which outlives the user.
    assert links["extra_links"] == {"IAM user in AWS console": CLOUDTRAIL_USER_EVENTS_URL.format(user_name=DIRECT[0])}
    # Of the two racing runs, the other either reached DeleteUser after the first ("already deleted"), or started
    # after it and was refused at check_user ("does not exist"), or the user vanished under a later read (its
    # snapshot, a removal); its own alert says where. Neither claims a second deletion.
    race_states = [states[first], states[second]]
    assert "success" in race_states
    texts = [t for t in stack.messages if RACED in t]
    loser = (first, second)[race_states.index("success") ^ 1] if race_states.count("success") == 1 else None
    if loser is None:
        assert any(t.startswith(f"IAM user {RACED} was already deleted") for t in texts), texts
    else:
        failed = sorted(task for task, state in stack.task_states(loser).items() if state == "failed")
        assert failed and "delete_user" not in failed, failed
        if failed == ["check_user"]:
            assert any(f"IAM user '{RACED}' does not exist" in t for t in texts), texts
        else:
            assert any(t.startswith(f"FAILED: {OFFBOARDING} / {failed[0]} (run {loser})") for t in texts), texts
