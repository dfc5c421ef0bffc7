"""Benchmark 2: finding the stale users of an account of 100, 1,000 and 10,000 users, two ways.

* ``report`` (ours, what the DAG's ``find_stale_users`` runs: ``reconciliation.find_in_account``): the
  credential report (``credential_report.fetch_credential_report``, not sleeping between polls),
  ``staleness.stale_users``,
  the users with their tags (``IamHook.list_users_with_details``) and STS GetCallerIdentity.
* ``per_user``: ListUsers, then for each user GetLoginProfile (is there a password? its last use comes with
  ListUsers), ListAccessKeys and GetAccessKeyLastUsed per key. It reads no tags; exempting protected users
  would add a ListUserTags call per user.

Each (approach, size) runs in a subprocess of its own (``python -m benchmarks.stale APPROACH URL REPS``). It
first runs the approach once on an empty account of the same server (imports, clients, code paths warmed up),
then times each repetition of the finding step alone, and reports how much its peak RSS grew during the first
one. Calls (IAM and STS) are counted at the HTTP level from the sandbox server's call log, in all and by action.

After both approaches, the account itself is described from its credential report (how many users have a
password, keys, credentials never used; how old they are), so that the report says what was measured from data.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import inspect
import io
import json
import resource
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from benchmarks.common import ROOT, moto_server, run_module, subprocess_env, summary
from sandbox.control import MotoControl, aws_connection

SIZES = (100, 1000, 10000)
#: Repetitions of the timing per size; the per-user approach at 10,000 users takes about 2 minutes per repetition.
REPETITIONS = {"report": {100: 3, 1000: 3, 10000: 3}, "per_user": {100: 3, 1000: 3, 10000: 1}}
MAX_IDLE_DAYS = 90
WITH_KEYS = 1
PER_USER_PAGE_SIZE = 1000  # ListUsers' largest page
APPROACHES = ("report", "per_user")
AWS_CONN_ID, WARM_UP_CONN_ID = "aws_default", "aws_warm_up"


def find_with_report(aws_conn_id: str, now: datetime) -> list[str]:
    from iam_lifecycle.reconciliation.flow import find_in_account

    found = find_in_account(aws_conn_id, now, MAX_IDLE_DAYS, patterns=[], poll_seconds=0)
    return [entry["user_name"] for entry in found["stale"] + found["exempt"]]


def _utc(value: datetime) -> datetime:
    # moto sends its naive UTC times without a zone, which botocore reads as local time.
    return value.replace(tzinfo=UTC)


def find_per_user(iam, now: datetime) -> list[str]:
    stale = []
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": PER_USER_PAGE_SIZE}):
        for user in page["Users"]:
            name = user["UserName"]
            activity = [_utc(user["CreateDate"])]
            try:
                iam.get_login_profile(UserName=name)
            except iam.exceptions.NoSuchEntityException:
                pass
            else:
                if "PasswordLastUsed" in user:
                    activity.append(_utc(user["PasswordLastUsed"]))
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
                if last_used.get("LastUsedDate"):
                    activity.append(_utc(last_used["LastUsedDate"]))
            if (now - max(activity)).days >= MAX_IDLE_DAYS:
                stale.append(name)
    return stale


def _calls(url: str, method: str = "GET") -> list[dict]:
    with urllib.request.urlopen(urllib.request.Request(f"{url}/_sandbox/calls", method=method)) as response:
        return json.load(response)


def worker(approach: str, url: str, repetitions: int) -> dict:
    """In the subprocess: time ``repetitions`` findings, count their calls, and the peak RSS growth of the first."""
    from iam_lifecycle.aws.iam_hook import IamHook

    if approach == "report":
        find = find_with_report
    else:
        clients = {conn_id: IamHook(aws_conn_id=conn_id).conn for conn_id in (WARM_UP_CONN_ID, AWS_CONN_ID)}

        def find(conn_id: str, now: datetime) -> list[str]:
            return find_per_user(clients[conn_id], now)

    find(WARM_UP_CONN_ID, datetime.now(UTC))
    seconds, calls, by_action, rss_growth_mib, stale = [], [], [], None, []
    for _ in range(repetitions):
        _calls(url, "DELETE")
        gc.collect()  # earlier runs' clients are cyclic garbage: else the first timed run's peak counts them too
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        stale = find(AWS_CONN_ID, datetime.now(UTC))
        seconds.append(time.perf_counter() - started)
        if rss_growth_mib is None:
            rss_growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        actions = [call["action"] for call in _calls(url) if call["service"] in ("iam", "sts")]
        calls.append(len(actions))
        by_action.append(dict(Counter(actions).most_common()))
    return {
        "seconds": seconds,
        "calls": calls,
        "by_action": by_action,
        "rss_growth_mib": rss_growth_mib,
        "stale_users": len(stale),
        "stale_digest": hashlib.sha256("\n".join(sorted(stale)).encode()).hexdigest()[:12],
        "dag_poll_seconds": _dag_poll_seconds() if approach == "report" else None,
    }


def _dag_poll_seconds() -> float:
    """How long the reconciliation DAG waits between GenerateCredentialReport calls (it keeps the default)."""
    from iam_lifecycle.reconciliation.flow import find_in_account

    return inspect.signature(find_in_account).parameters["poll_seconds"].default


NEVER = ("N/A", "no_information", "not_supported", "")


def describe_account(moto: MotoControl, now: datetime) -> dict:
    """What the account holds, from its credential report (read after the measurements: its calls are not counted)."""
    iam = moto.iam
    while iam.generate_credential_report()["State"] != "COMPLETE":
        time.sleep(0.1)
    rows = list(csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode())))
    rows = [row for row in rows if row["user"] != "<root_account>"]

    def days_ago(stamp: str) -> int:
        return (now - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).days

    used = [
        [row[column] for column in ("password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date")]
        for row in rows
    ]
    used_days = [days_ago(stamp) for stamps in used for stamp in stamps if stamp not in NEVER]
    created_days = [days_ago(row["user_creation_time"]) for row in rows]
    keys = Counter(sum(row[f"access_key_{i}_active"] == "true" for i in (1, 2)) for row in rows)
    return {
        "users": len(rows),
        "with_password": sum(row["password_enabled"] == "true" for row in rows),
        "access_keys_per_user": {str(count): users for count, users in sorted(keys.items())},
        "never_used": sum(all(stamp in NEVER for stamp in stamps) for stamps in used),
        "created_days_ago": {"min": min(created_days), "max": max(created_days)},
        "last_used_days_ago": {"min": min(used_days), "max": max(used_days)} if used_days else None,
    }


def _connection(url: str, account: str) -> str:
    """An Airflow AWS connection on the sandbox acting in ``account`` (a 12-digit access key id selects it)."""
    return json.dumps(aws_connection(url, account))


def _run_worker(approach: str, url: str, repetitions: int, home: str) -> dict:
    env = subprocess_env(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW_CONN_AWS_DEFAULT=_connection(url, "123456789012"),
        AIRFLOW_CONN_AWS_WARM_UP=_connection(url, "111111111111"),
    )
    return run_module(["benchmarks.stale", approach, url, str(repetitions)], env, f"stale-user worker {approach}")


def run(home: str, log=print) -> dict:
    """Both approaches at each size, side by side on one fresh server per size."""
    results: dict = {
        "max_idle_days": MAX_IDLE_DAYS,
        "access_keys_per_user": WITH_KEYS,
        "per_user_page_size": PER_USER_PAGE_SIZE,
        "sizes": {},
    }
    for size in SIZES:
        with moto_server() as moto:
            moto.bulk_users(size, with_keys=WITH_KEYS)
            measured = {}
            for approach in APPROACHES:
                repetitions = REPETITIONS[approach][size]
                log(f"  {size:>6} users, {approach}: {repetitions} repetition(s) ...")
                raw = _run_worker(approach, moto.moto_url, repetitions, home)
                measured[approach] = {
                    "calls_first": raw["calls"][0],
                    "calls": raw["calls"],
                    "by_action": raw["by_action"],
                    "seconds": summary(raw["seconds"]),
                    "rss_growth_mib": raw["rss_growth_mib"],
                    "stale_users": raw["stale_users"],
                    "stale_digest": raw["stale_digest"],
                }
                log(
                    f"         {raw['calls'][0]} calls, {summary(raw['seconds'])['median']:.2f} s median, "
                    f"RSS +{raw['rss_growth_mib']:.1f} MiB, {raw['stale_users']} stale"
                )
                if raw["dag_poll_seconds"] is not None:
                    results["dag_poll_seconds"] = raw["dag_poll_seconds"]
            measured["same_stale_users"] = measured["report"]["stale_digest"] == measured["per_user"]["stale_digest"]
            measured["account"] = describe_account(moto, datetime.now(UTC))
            results["sizes"][size] = measured
    return results


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
