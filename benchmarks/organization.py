"""Benchmark 5: a stale-user report over every account of an AWS Organization of 1, 10 and 50 accounts.

For each size, a fresh sandbox moto server holds an organization (its management account and N-1 member
accounts, made with Organizations ``CreateAccount``), each account with ``USERS_PER_ACCOUNT`` users made straight
in moto's state (``POST /_sandbox/bulk_users``). A subprocess (``python -m benchmarks.organization URL REPS``)
runs what the reconciliation DAG's tasks run, in one process and one account after the other:
``targets.organization_targets`` (``list_accounts``), then per account ``reconciliation.find_in_account``
(``find_stale_users``: the member role assumed with the organization connection's credentials, STS
GetCallerIdentity, the credential report, the paged user listing), not sleeping between report polls. It first
does the same once on an account outside the organization (imports, clients, code paths warmed up), then times
each repetition of the whole report. Calls (IAM, STS, Organizations) are counted at the HTTP level from the
sandbox's call log, by action and by account.

Then the calls the offboarding of one person adds in IAM Identity Center (``python -m benchmarks.organization URL
identity-center``): a person with ``IC_ASSIGNMENTS`` account assignments of its own and ``IC_GROUPS`` groups (each
with one assignment of the group's), its lookup, its removal (each deletion IN_PROGRESS for one status read, as
AWS answers at first) and the proof, counted by phase and action.

Not measured here: Airflow's cost per mapped task (scheduling, a worker process per task; see the latency
benchmark), nor running accounts at once (the DAG runs up to 16 at a time on a real executor).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime

from benchmarks.common import ROOT, moto_server, run_module, subprocess_env, summary
from sandbox.control import MotoControl, aws_connection

SIZES = (1, 10, 50)
REPETITIONS = 3
USERS_PER_ACCOUNT = 100
MAX_IDLE_DAYS = 90
ORG_CONN_ID = "aws_org"
#: An account outside the organization, read once before timing.
WARM_UP_ACCOUNT = "999999999999"
#: The Identity Center person: its own assignments (one per account) and its groups.
IC_ASSIGNMENTS, IC_GROUPS = 4, 2


def _calls(url: str, method: str = "GET") -> list[dict]:
    with urllib.request.urlopen(urllib.request.Request(f"{url}/_sandbox/calls", method=method)) as response:
        return json.load(response)


def report_over_organization(now: datetime) -> dict:
    """What the DAG's list_accounts and find_stale_users tasks run, for every account of the organization."""
    from iam_lifecycle.accounts.targets import organization_targets
    from iam_lifecycle.reconciliation.flow import find_in_account

    findings = [
        find_in_account(target, now, MAX_IDLE_DAYS, [], poll_seconds=0, run_id="bench")
        for target in organization_targets(ORG_CONN_ID)
    ]
    failed = [finding["error"] for finding in findings if "error" in finding]
    if failed:
        raise RuntimeError(f"accounts could not be read: {failed}")
    return {"accounts": len(findings), "stale_users": sum(len(f["stale"]) + len(f["exempt"]) for f in findings)}


def worker(url: str, repetitions: int) -> dict:
    """In the subprocess: warm up outside the organization, then time ``repetitions`` reports and count calls."""
    from iam_lifecycle.accounts.targets import member_target
    from iam_lifecycle.reconciliation.flow import find_in_account

    warm_up = member_target(ORG_CONN_ID, {"Id": WARM_UP_ACCOUNT, "Name": "warm-up"}, None)
    find_in_account(warm_up, datetime.now(UTC), MAX_IDLE_DAYS, [], poll_seconds=0, run_id="bench")
    seconds, runs, found = [], [], {}
    for _ in range(repetitions):
        _calls(url, "DELETE")
        started = time.perf_counter()
        found = report_over_organization(datetime.now(UTC))
        seconds.append(time.perf_counter() - started)
        calls = [c for c in _calls(url) if c["service"] in ("iam", "sts", "organizations")]
        per_account = Counter(c["account"] for c in calls if c["service"] == "iam")
        runs.append(
            {
                "calls": len(calls),
                "by_action": dict(Counter(f"{c['service']}:{c['action']}" for c in calls).most_common()),
                "iam_calls_per_account": sorted(set(per_account.values())),
            }
        )
    return {"seconds": seconds, "runs": runs, **found}


def identity_center_person(url: str) -> dict:
    """In the subprocess: the Identity Center calls of one person's lookup, removal and proof, by phase."""
    from iam_lifecycle.identity_center import person, removal
    from iam_lifecycle.offboarding import organization

    params = {"user_name": "person", "organization_conn_id": ORG_CONN_ID, "identity_center": None}
    phases: dict = {}
    _calls(url, "DELETE")
    found = person.look_up(params)
    phases["lookup"] = _center_calls(url)
    removal.remove_person(ORG_CONN_ID, found, run_id="bench", reason="", trail={}, poll_seconds=0)
    phases["removal"] = _center_calls(url)
    organization.verify_nothing_left([], "person", found, ORG_CONN_ID, "bench")
    phases["proof"] = _center_calls(url)
    return {"assignments": IC_ASSIGNMENTS, "groups": IC_GROUPS, "phases": phases}


def _center_calls(url: str) -> dict:
    """The Identity Center calls since the log was last cleared, by action; clears it."""
    calls = [c for c in _calls(url) if c["service"] in ("sso", "identitystore")]
    _calls(url, "DELETE")
    return {"calls": len(calls), "by_action": dict(Counter(c["action"] for c in calls).most_common())}


def _identity_center(moto: MotoControl) -> None:
    from sandbox.identity_center import Seed

    center = Seed(moto.client("sso-admin"), moto.client("identitystore"))
    user_id = center.user("person")
    for n in range(IC_ASSIGNMENTS):
        center.assign(f"{100000000000 + n}", center.permission_set(f"Own{n}"), user_id)
    for n in range(IC_GROUPS):
        group = center.group(f"group-{n}", user_id)
        center.assign("100000000000", center.permission_set(f"Group{n}"), group, "GROUP")
    moto.set_faults({"identity_center": {"in_progress_polls": 1}})


def _organization(moto: MotoControl, accounts: int) -> list[str]:
    """An organization of ``accounts`` accounts (the management one included), each with its users; their ids."""
    orgs = moto.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    for n in range(accounts - 1):
        orgs.create_account(AccountName=f"member-{n:02}", Email=f"member-{n:02}@example.com")
    ids = [account["Id"] for page in orgs.get_paginator("list_accounts").paginate() for account in page["Accounts"]]
    for account in ids:
        moto.bulk_users(USERS_PER_ACCOUNT, account=account)
    return ids


def _connection(url: str) -> str:
    """The organization connection: the management account's credentials; STS AssumeRole at the sandbox too."""
    return json.dumps(aws_connection(url))


def _run_worker(url: str, mode: str, home: str) -> dict:
    env = subprocess_env(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW_CONN_AWS_ORG=_connection(url),
        AIRFLOW_VAR_IAM_LIFECYCLE_SNAPSHOT_URI=f"file://{home}/bench-snapshots",
    )
    return run_module(["benchmarks.organization", url, mode], env, "organization worker")


def run(home: str, log=print) -> dict:
    """A report over an organization of each size, on a fresh server per size."""
    results: dict = {"users_per_account": USERS_PER_ACCOUNT, "max_idle_days": MAX_IDLE_DAYS, "sizes": {}}
    for size in SIZES:
        with moto_server() as moto:
            _organization(moto, size)
            log(f"  {size:>3} accounts x {USERS_PER_ACCOUNT} users: {REPETITIONS} repetition(s) ...")
            raw = _run_worker(moto.moto_url, str(REPETITIONS), home)
            first = raw["runs"][0]
            results["sizes"][size] = {
                "accounts": raw["accounts"],
                "stale_users": raw["stale_users"],
                "calls_first": first["calls"],
                "by_action_first": first["by_action"],
                "iam_calls_per_account_first": first["iam_calls_per_account"],
                "calls": [r["calls"] for r in raw["runs"]],
                "seconds": summary(raw["seconds"]),
            }
            log(
                f"      {first['calls']} calls ({first['calls'] / size:.1f} per account), "
                f"{summary(raw['seconds'])['median']:.2f} s median, {raw['stale_users']} stale users"
            )
    with moto_server() as moto:
        _identity_center(moto)
        results["identity_center"] = _run_worker(moto.moto_url, "identity-center", home)
        phases = results["identity_center"]["phases"]
        log("  Identity Center, one person: " + ", ".join(f"{k} {v['calls']} calls" for k, v in phases.items()))
    return results


def headline(results: dict) -> str:
    sizes = results["organization"]["sizes"]
    parts = [
        f"{size} account{'' if int(size) == 1 else 's'} {row['calls_first']} calls in {row['seconds']['median']:.2f} s"
        for size, row in sizes.items()
    ]
    return "stale-user report over an organization: " + "; ".join(parts)


def markdown_section(results: dict) -> list[str]:
    """The BENCHMARKS.md section (``report.write_markdown`` adds it when the results have it)."""
    from benchmarks.report_text import actions, bullet, para, timing

    organization = results["organization"]
    sizes = organization["sizes"]
    lines = [
        "## 5. A stale-user report over an AWS Organization",
        "",
        para(
            f"Organizations of {', '.join(list(sizes)[:-1])} and {list(sizes)[-1]} accounts (the management account "
            "included), each "
            f"account with {organization['users_per_account']} users made straight in moto's state. What the "
            "reconciliation DAG runs with `organization_conn_id` (`list_accounts`, then `find_stale_users` per "
            "account through the member role), in one process and one account after the other, without sleeping "
            "between credential-report polls; the DAG itself runs the accounts as mapped tasks, up to 16 at once. "
            f"Calls are those of the first of {len(next(iter(sizes.values()))['calls'])} repetitions: a daily run "
            "meets a credential report to generate, as the first does; later ones find it ready and save a call "
            "per account."
        ),
        "",
        "| accounts | calls | calls per account | IAM calls per account | wall time (sequential) | stale users |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, row in sizes.items():
        per_account = "/".join(str(n) for n in row["iam_calls_per_account_first"])
        lines.append(
            f"| {size} | {row['calls_first']} | {row['calls_first'] / int(size):.1f} | {per_account} | "
            f"{timing(row['seconds'])} | {row['stale_users']:,} |"
        )
    largest = list(sizes)[-1]
    lines += [
        "",
        bullet(f"Calls at {largest} accounts, by action: {actions(sizes[largest]['by_action_first'])}."),
        bullet(
            "Per account: two STS `AssumeRole` (one for the STS client that checks the account, one for the IAM "
            "client: each hook builds its own session), `GetCallerIdentity`, `GenerateCredentialReport` twice "
            "(started, then complete), `GetCredentialReport` and one `GetAccountAuthorizationDetails` page per 1,000 "
            "users; none per user. Organizations `ListAccounts` is one call per page: up to 20 accounts on AWS, 100 "
            "on moto."
        ),
        "",
    ]
    if center := organization.get("identity_center"):
        phases = center["phases"]
        lines += [
            bullet(
                f"IAM Identity Center, per person with {center['assignments']} account assignments of its own and "
                f"{center['groups']} groups (each deletion IN_PROGRESS for one status read): "
                + "; ".join(
                    f"{phase} {row['calls']} calls ({actions(row['by_action'])})" for phase, row in phases.items()
                )
                + ". The lookup grows by 2 calls per group and 1 per distinct permission set; the removal reads the "
                "person again first (the lookup's calls but ListInstances), then per assignment the deletion and "
                "its status reads (two here), one call per membership and one for the user."
            ),
            "",
        ]
    return lines


if __name__ == "__main__":
    if sys.argv[2] == "identity-center":
        print(json.dumps(identity_center_person(sys.argv[1])))
    else:
        print(json.dumps(worker(sys.argv[1], int(sys.argv[2]))))
