"""BENCHMARKS.md and the stale-finding plot, from the results of one ``make bench`` run."""

from __future__ import annotations

import textwrap
from pathlib import Path

from benchmarks import distributed, organization
from benchmarks.common import ROOT

PLOT = ROOT / "benchmarks" / "stale_finding.png"
WIDTH = 115
APPROACH_LABELS = {
    "report": "credential report + GetAccountAuthorizationDetails (ours)",
    "per_user": "per-user calls",
}


def _s(value: float) -> str:
    return f"{value:.2f} s" if round(value, 2) < 10 else f"{value:.1f} s"


def timing(stat: dict, scale: float = 1.0, unit: str = "s") -> str:
    """``median (min–max, n=N)``; a single value alone."""
    if unit == "ms":
        median, low, high = (stat[k] * 1000 for k in ("median", "min", "max"))
        text = f"{median:.0f} ms"
        spread = f"{low:.0f}–{high:.0f}"
    else:
        median, low, high = (stat[k] * scale for k in ("median", "min", "max"))
        text, spread = _s(median), f"{_s(low)[:-2]}–{_s(high)[:-2]}"
    n = len(stat["values"])
    return text if n == 1 else f"{text} ({spread}, n={n})"


def para(text: str) -> str:
    return textwrap.fill(text, WIDTH, break_on_hyphens=False)


def bullet(text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def _offboarding_calls_repeat(results: dict) -> bool:
    shapes = results["offboarding"]["shapes"].values()
    return all(row[who]["deterministic"] for row in shapes for who in ("plain", "ours"))


def _machine_section(results: dict) -> list[str]:
    machine, versions = results["machine"], results["versions"]
    load = ", ".join(f"{x:.1f}" for x in machine["load_average"])
    memory = f"{machine['memory_gib']:.1f} GiB" if machine["memory_gib"] else "unknown"
    return [
        "## Machine and versions",
        "",
        "| | |",
        "| --- | --- |",
        f"| CPU | {machine['cpu']}, {machine['cores']} cores |",
        f"| memory | {memory} |",
        f"| OS | {machine['os']} |",
        f"| load average at start (1, 5, 15 min) | {load} |",
        *(f"| {package} | {version} |" for package, version in versions.items()),
        "",
        para(
            "The machine was shared with other engineers' test runs while this ran, so wall times are noisy: each is "
            "the median of its repetitions, with their range and count (n). Call counts are exact"
            + (
                ", and every repeated offboarding made the same calls."
                if _offboarding_calls_repeat(results)
                else "; some repeated offboardings made different calls (see below)."
            )
        ),
        "",
    ]


def _held(shape: dict) -> str:
    if not any(shape.values()):
        return "no dependencies at all, not even a login profile"
    parts = [f"{kind.replace('_', ' ')} {count}" for kind, count in shape.items() if kind != "login_profile" and count]
    return ", ".join(parts + (["login profile"] if shape["login_profile"] else []))


#: Why ours calls an action more often than the plain script (or less), by action. No numbers here: how many
#: times comes from the call log.
WHY_OURS = {
    "GetCallerIdentity": (
        "STS, in `get_caller_identity`: who the run acts as, so that a run never deletes its own identity; the Slack "
        "message names it"
    ),
    "GetUser": (
        "`check_user` reads the user before anything else (it must exist and not be protected), and `delete_user` "
        "reads it again just before DeleteUser: a user deleted and recreated under the same name (another UserId), "
        "or protected meanwhile, stops the run"
    ),
    "UpdateAccessKey": (
        "`deactivate_access_keys` makes each access key Inactive right after the console password is deleted and "
        "before anything else is removed, so that no later failure leaves a way to sign in; the keys are deleted "
        "afterwards, as the plain script deletes them"
    ),
    "GetUserPolicy": "each inline policy's document, kept in the snapshot that is written before the first change",
    "GetLoginProfile": (
        "`list_user_holdings` asks whether the user has a console password; the plain script calls "
        "`DeleteLoginProfile` whatever the answer would be and accepts NoSuchEntity"
    ),
    "DeleteLoginProfile": (
        "ours calls it only for a user with a console password (it knows from `GetLoginProfile`); the plain "
        "script calls it for every user"
    ),
}


def _signed(number: int) -> str:
    return f"+{number}" if number > 0 else ("0" if number == 0 else f"−{-number}")


def _difference(row: dict) -> dict[str, int]:
    """Ours minus the plain script, per action, for the actions where they differ."""
    ours, plain = row["ours"]["by_action"], row["plain"]["by_action"]
    actions = sorted(set(ours) | set(plain), key=lambda a: (-(ours.get(a, 0) - plain.get(a, 0)), a))
    return {a: ours.get(a, 0) - plain.get(a, 0) for a in actions if ours.get(a, 0) != plain.get(a, 0)}


def _difference_text(difference: dict[str, int]) -> str:
    return ", ".join(f"`{action}` {_signed(n)}" for action, n in difference.items()) or "none"


def _per_shape(values: dict[str, int]) -> str:
    """``+2 for every shape`` or ``−1 for "nothing"; 0 for "one of each", "everything"``."""
    groups: dict[int, list[str]] = {}
    for label, value in values.items():
        groups.setdefault(value, []).append(f'"{label}"')
    if len(groups) == 1:
        return f"{_signed(next(iter(groups)))} for every shape"
    return "; ".join(f"{_signed(value)} for {', '.join(labels)}" for value, labels in groups.items())


def _ratio_range(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}×" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}× to {high:.2f}×"


def _count_range(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low} to {high}"


def _offboarding_section(results: dict) -> list[str]:
    offboarding = results["offboarding"]
    shapes = offboarding["shapes"]
    reference = offboarding["latency_shape"]
    lines = [
        "## 1. IAM calls per offboarding, next to a plain boto3 script",
        "",
        para(
            "Each user shape is offboarded in the same run by both, against the same sandbox moto server, each time "
            "on a freshly seeded user: by a plain boto3 script, and by a real run of `airflow dags test "
            "iam_user_offboarding`. Calls, IAM and STS, are counted the same way for both, at the HTTP level from "
            "the server's call log. The server refuses DeleteUser as AWS does while the user still holds anything, "
            "so an offboarding that forgets a kind fails the benchmark; after each, the user is confirmed gone."
        ),
        "",
        bullet(
            "**plain script** — `benchmarks/plain_boto3.py`, written as a one-off script from AWS's documentation "
            "of DeleteUser's prerequisites, importing nothing of ours (it runs with only the repository root on its "
            "path): `DeleteLoginProfile` (NoSuchEntity is fine), a paginated list call per other kind, a call per "
            "item (for an MFA device `DeactivateMFADevice`, and `DeleteVirtualMFADevice` for a virtual one), then "
            "`DeleteUser`. No `GetUser`, no snapshot, no checks: the fewest calls a correct offboarding makes."
        ),
        bullet(
            "**ours** — the whole `iam_user_offboarding` DAG: identity and protection checks, the listing, the "
            "snapshot, sign-in taken away first, the removals, DeleteUser and the Slack message."
        ),
        "",
        "| user holds | items | plain script | ours | ours − plain | ours / plain | the difference, by action |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, row in shapes.items():
        plain, ours = row["plain"]["calls"], row["ours"]["calls"]
        lines.append(
            f"| {label} | {row['items']} | {plain} | {ours} | {_signed(ours - plain)} | {ours / plain:.2f} | "
            f"{_difference_text(_difference(row))} |"
        )
    lines.append("")
    for label, row in shapes.items():
        lines.append(bullet(f"**{label}**: {_held(row['shape'])}."))
    if seeded := offboarding.get("seed_everything_shape"):
        lines += ["", para(f'The "{seeded}" user is `sandbox.seed.EVERYTHING`.')]
    differences = {label: _difference(row) for label, row in shapes.items()}
    extra = [row["ours"]["calls"] - row["plain"]["calls"] for row in shapes.values()]
    ratios = [row["ours"]["calls"] / row["plain"]["calls"] for row in shapes.values()]
    lines += [
        "",
        para(
            f"Ours makes {_count_range(extra)} calls more than the plain script ({_ratio_range(ratios)} as many). "
            "Where the difference comes from, per action (ours minus the plain script, from the call log):"
        ),
        "",
    ]
    actions = list(dict.fromkeys(action for difference in differences.values() for action in difference))
    for action in actions:
        values = {label: difference.get(action, 0) for label, difference in differences.items()}
        why = WHY_OURS.get(action, "not explained here: compare the calls by action below")
        lines.append(bullet(f"`{action}` ({_per_shape(values)}): {why}."))
    if reference in shapes:
        row = shapes[reference]
        ours, plain = row["ours"]["by_action"], row["plain"]["by_action"]
        lines += [
            "",
            para(f'Calls by action, "{reference}":'),
            "",
            "| action | plain script | ours | ours − plain |",
            "| --- | ---: | ---: | ---: |",
        ]
        for action in sorted(set(ours) | set(plain), key=lambda a: (-ours.get(a, 0), -plain.get(a, 0), a)):
            o, p = ours.get(action, 0), plain.get(action, 0)
            lines.append(f"| `{action}` | {p} | {o} | {_signed(o - p) if o != p else ''} |")
    lines += [
        "",
        para(
            "Wall times: the plain script's process (starting Python, importing boto3, its calls) and its "
            "offboarding alone (the client made, the calls); ours, the `airflow dags test` process and the DagRun's "
            "own duration (from its log)."
        ),
        "",
        "| user holds | plain script, process | plain script, its calls | ours, `dags test` process | ours, DagRun |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, row in shapes.items():
        lines.append(
            f"| {label} | {timing(row['plain']['wall'])} | {timing(row['plain']['seconds'])} | "
            f"{timing(row['ours']['wall'])} | {timing(row['ours']['run_duration'])} |"
        )
    lines.append("")
    unsteady = [
        f"{label} ({who})"
        for label, row in shapes.items()
        for who in ("plain", "ours")
        if not row[who]["deterministic"]
    ]
    if unsteady:
        lines += [para(f"Warning: repeated runs made different calls for {', '.join(unsteady)}."), ""]
    quota = offboarding["aws_managed_policies_per_user"]
    beyond = {label: row["shape"]["managed_policies"] for label, row in shapes.items()}
    beyond = {label: n for label, n in beyond.items() if n > quota["max"]}
    if beyond:
        counts = ", ".join(str(n) for n in beyond.values())
        lines += [
            para(
                f"AWS attaches at most {quota['default']} managed policies to a user by default ({quota['max']} with "
                f"a quota increase): {counts} is beyond what AWS allows and only shows how the mapped "
                "`detach_user_policy` (a task per policy) scales."
            ),
            "",
        ]
    return lines


def _ratio(measured: dict, key: str) -> str:
    """Per-user over ours, for calls or median seconds."""
    per_user, ours = measured["per_user"][key], measured["report"][key]
    if key == "seconds":
        per_user, ours = per_user["median"], ours["median"]
    return f"{per_user / ours:,.0f}×"


def _sizes(sizes: list[str]) -> str:
    """``100, 1,000 and 10,000``."""
    names = [f"{int(size):,}" for size in sizes]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _actions(by_action: dict[str, int]) -> str:
    return ", ".join(f"`{action}` {count:,}" for action, count in by_action.items())


def _days(span: dict | None) -> str:
    if span is None:
        return "never"
    return f"{span['min']:,}–{span['max']:,}"


def _keys_per_user(counts: dict[str, int], users: int) -> str:
    if len(counts) == 1:
        return f"{next(iter(counts))} each"
    return ", ".join(f"{keys}: {n:,} users" for keys, n in counts.items())


def _later_runs(row: dict) -> str | None:
    """How a later run's calls differ from the first run's, by action; None when there was one run."""
    if len(row["by_action"]) < 2:
        return None
    first, later = row["by_action"][0], row["by_action"][1]
    changed = [a for a in dict.fromkeys([*first, *later]) if first.get(a, 0) != later.get(a, 0)]
    return ", ".join(f"`{a}` {first.get(a, 0):,} → {later.get(a, 0):,}" for a in changed) or "the same calls"


def _stale_section(results: dict) -> list[str]:
    stale = results["stale"]
    sizes = list(stale["sizes"])
    first, last = stale["sizes"][sizes[0]], stale["sizes"][sizes[-1]]
    lines = [
        "## 2. Finding stale users",
        "",
        para(
            f"Accounts of {_sizes(sizes)} users, created straight in moto's state with `POST /_sandbox/bulk_users` "
            "(dates spread over the past, some credentials never used; what each account held, from its credential "
            f"report, is in the first table). Stale means unused for {stale['max_idle_days']} days or more. Both "
            "approaches run side by side on the same server, each in a subprocess of its own, after a warm-up run "
            "on an empty account; only the finding step is timed."
        ),
        "",
        bullet(
            "**ours** — what the reconciliation DAG's `find_stale_users` runs, `reconciliation.find_in_account`: "
            "`credential_report.fetch_credential_report` (`GenerateCredentialReport` until complete, then "
            "`GetCredentialReport`), `staleness.stale_users`, `IamHook.list_users_with_details` "
            "(`GetAccountAuthorizationDetails`, paged, with the users' tags) and STS `GetCallerIdentity`."
        ),
        bullet(
            f"**per-user** — `ListUsers` ({stale['per_user_page_size']:,} a page), then for each user "
            "`GetLoginProfile` (is there a password? its last use comes with `ListUsers`), `ListAccessKeys`, and "
            "`GetAccessKeyLastUsed` per key. It reads no tags: exempting protected users, as ours does, would add a "
            "`ListUserTags` call per user."
        ),
        "",
        para(
            "The sandbox pages `ListUsers` and `GetAccountAuthorizationDetails` as AWS does (`MaxItems` items a "
            "page, then a `Marker` for the rest); moto alone returns everything in one page. It also finds an "
            "access key by id directly for `GetAccessKeyLastUsed` (moto scans every key of every user per call), so "
            "the per-user approach is not slowed by a cost AWS does not have."
        ),
        "",
    ]
    if all("account" in m for m in stale["sizes"].values()):
        lines += [
            "| users | access keys per user | with a console password | credentials never used "
            "| created, days ago | credentials last used, days ago |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for measured in stale["sizes"].values():
            account = measured["account"]
            lines.append(
                f"| {account['users']:,} | {_keys_per_user(account['access_keys_per_user'], account['users'])} | "
                f"{account['with_password']:,} | {account['never_used']:,} | {_days(account['created_days_ago'])} | "
                f"{_days(account['last_used_days_ago'])} |"
            )
        lines.append("")
    lines += [
        "| users | approach | calls | wall time of the finding step | peak RSS growth | stale users found |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for size, measured in stale["sizes"].items():
        for approach in ("report", "per_user"):
            row = measured[approach]
            name = "ours" if approach == "report" else "per-user"
            lines.append(
                f"| {int(size):,} | {name} | {row['calls_first']:,} | {timing(row['seconds'])} | "
                f"{row['rss_growth_mib']:.1f} MiB | {row['stale_users']:,} |"
            )
    agree = all(m["same_stale_users"] for m in stale["sizes"].values())
    singles = [
        f"{int(size):,} users ({_s(m['per_user']['seconds']['median'])})"
        for size, m in stale["sizes"].items()
        if len(m["per_user"]["seconds"]["values"]) == 1
    ]
    lines += [
        "",
        f"![IAM calls and wall time versus number of users]({PLOT.relative_to(ROOT).as_posix()})",
        "",
        bullet(
            f"Both approaches found {'the same' if agree else 'DIFFERENT'} stale users at every size (compared "
            "name by name)."
        ),
        bullet(
            f"Calls by action at {int(sizes[0]):,} users — ours: {_actions(first['report']['by_action'][0])}; "
            f"per-user: {_actions(first['per_user']['by_action'][0])}. At {int(sizes[-1]):,} users — ours: "
            f"{_actions(last['report']['by_action'][0])}; per-user: {_actions(last['per_user']['by_action'][0])}. "
            "Each further access key would add a `GetAccessKeyLastUsed` call, and reading tags a `ListUserTags` "
            "call, per user."
        ),
        bullet(
            f"That is {_ratio(first, 'calls_first')} as many calls at {int(sizes[0]):,} users and "
            f"{_ratio(last, 'calls_first')} at {int(sizes[-1]):,}, and {_ratio(last, 'seconds')} the wall time at "
            f"{int(sizes[-1]):,}. On AWS each of those calls also counts against the account-wide IAM rate limits, "
            "which cannot be raised and which all other IAM automation shares."
        ),
    ]
    later = _later_runs(first["report"])
    if later is not None:
        poll = stale.get("dag_poll_seconds")
        polls = f"the DAG polls every {poll:g} s" if poll is not None else "the DAG polls"
        lines.append(
            bullet(
                f"Counts are from the first run on each account; in the later runs ours called {later} (first run "
                "→ later run), as moto answers the first `GenerateCredentialReport` STARTED, the next COMPLETE, and "
                "then hands back the report already made. On AWS, generating the report of a large "
                f"account takes seconds and {polls}; here it is immediate and the benchmark does not sleep between "
                "polls."
            )
        )
    lines.append(
        bullet(
            "Memory is how much the worker's peak RSS grew during its first timed run (after a garbage "
            "collection): ours holds the whole credential report and user listing, parsed, at once and creates its "
            "own boto3 clients (as the DAG's task does); per-user holds a page of users and reuses its client."
        )
    )
    if singles:
        lines.append(bullet(f"The per-user approach ran once, not repeated, at {', '.join(singles)}."))
    lines.append("")
    return lines


def _mapped(lengths: dict[str, int]) -> str:
    """'12 over `policies_to_detach`, 7 over `removals`'."""
    return ", ".join(f"{count} over `{source}`" for source, count in lengths.items())


def _latency_section(results: dict) -> list[str]:
    latency = results["offboarding"]["latency"]
    real, noop = latency["real"], latency["noop"]
    shape = results["offboarding"]["latency_shape"]
    calls = results["offboarding"]["shapes"][shape]
    lines = [
        "## 3. Run latency",
        "",
        para(
            f'`airflow dags test` of offboarding the "{shape}" user, and of `noop_offboarding`: a DAG generated '
            "from the real one's graph (same task ids, edges, trigger rules and short-circuits, and as many mapped "
            f"tasks: {_mapped(latency['noop_map_lengths'])}) whose tasks do nothing. Runs alternate: real, no-op, "
            "real, … *Run* is the DagRun's own duration (from its log); *wall* adds starting the `airflow` process "
            "and parsing the DAG folder. A task's time runs from its start to the next task's start."
        ),
        "",
        "| | wall | run | tasks run | first task | later tasks, median each |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in ((f"offboarding ({shape})", real), ("no-op twin", noop)):
        lines.append(
            f"| {name} | {timing(row['wall'])} | {timing(row['run_duration'])} | {row['tasks_run']} | "
            f"{timing(row['first_task'])} | {timing(row['later_task_median'], unit='ms')} |"
        )
    difference = real["run_duration"]["median"] - noop["run_duration"]["median"]
    first = real["first_task"]["median"] - noop["first_task"]["median"]
    per_task = real["later_task_median"]["median"] - noop["later_task_median"]["median"]
    later = per_task * (real["tasks_run"] - 1)
    lines += [
        "",
        bullet(
            f"Airflow's own cost of this graph ({noop['tasks_run']} task instances under `dags test`): "
            f"{_s(noop['run_duration']['median'])} a run, of which {_s(noop['first_task']['median'])} for the first "
            f"task and about {noop['later_task_median']['median'] * 1000:.0f} ms per task after it."
        ),
        bullet(
            f"The IAM work, real minus no-op (medians): {_s(difference)} a run. Of that, {_s(first)} in the first "
            "task (the first AWS task also loads boto3 and the provider's AWS hooks), about "
            f"{per_task * 1000:.0f} ms in each later "
            f"task ({_s(later)} over {real['tasks_run'] - 1} tasks: a boto3 client per task and its calls), and "
            f"{_s(difference - first - later)} in tasks slower than the median. For scale: the plain boto3 script "
            f"made its {calls['plain']['calls']} calls on the same kind of user in "
            f"{_s(calls['plain']['seconds']['median'])} (ours makes {calls['ours']['calls']})."
        ),
        "",
    ]
    standalone = results.get("standalone") or {"measured": False, "reason": "not run"}
    if standalone["measured"]:
        lines += [
            para(
                "**Trigger to Slack on `airflow standalone`** (scheduler, dag-processor, api-server and triggerer; "
                f"LocalExecutor, SQLite; `{standalone.get('module', 'local.standalone')}`): from the REST "
                "`POST /api/v2/dags/…/dagRuns` to the "
                'Slack stand-in receiving "IAM user … deleted", offboarding a user of `sandbox.seed.EVERYTHING`: '
                f"{timing(standalone['seconds'])}. Starting the stack took {standalone['startup_seconds']:.0f} s "
                "(not included)."
            ),
            "",
        ]
    else:
        lines += [para(f"**Trigger to Slack on `airflow standalone`**: not measured — {standalone['reason']}."), ""]
    return lines


def _parse_section(results: dict) -> list[str]:
    parse = results["parse"]
    preloaded = ", ".join(f"`{m}`" for m in parse["preloaded"])
    lines = [
        "## 4. Parse time",
        "",
        para(
            f"Per DAG file, in {parse['rounds']} fresh interpreters that had imported {preloaded} — in "
            f"{timing(parse['preload_seconds'])} — and nothing of ours: executing the file as Airflow's DagBag does "
            "(*parse*: importing `iam_lifecycle` and whatever else the file needs, then building the DAG), then "
            "executing it again with everything imported (*build*: the DAG objects alone). Bytecode caches on; each "
            "sample starts after a full garbage collection."
        ),
        "",
        "| DAG file | parse | of which building the DAG |",
        "| --- | ---: | ---: |",
    ]
    for name, row in parse["files"].items():
        lines.append(f"| `{name}` | {timing(row['parse'], unit='ms')} | {timing(row['build'], unit='ms')} |")
    lines.append("")
    for module, stat in parse.get("imports", {}).items():
        users = parse.get("imported_by", {}).get(module, [])
        shares = [
            f"{stat['median'] / parse['files'][name]['parse']['median']:.0%} of `{name}`'s parse time"
            for name in users
            if name in parse["files"]
        ]
        where = f" (imported by {', '.join(f'`{name}`' for name in users)})" if users else ""
        share = f": {', '.join(shares)}" if shares else ""
        lines += [para(f"Importing `{module}` alone{where} takes {timing(stat, unit='ms')}{share}."), ""]
    return lines


def write_markdown(results: dict, path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        para(
            f"Written by `make bench` (`benchmarks/run.py`) on {results['started_at']}; the run took "
            f"{results['total_seconds'] / 60:.1f} minutes. Every number below comes from that run's "
            "`benchmarks/results.json` (the raw numbers, and AWS's managed-policy quota for comparison); `make bench` "
            f"measures again and rewrites it, this file and `{PLOT.relative_to(ROOT).as_posix()}`, and "
            "`python -m benchmarks.run --report-only` rewrites this file and the plot from it."
        ),
        "",
        *(
            [
                para(
                    "Re-measured since, alone (`python -m benchmarks.run --only STEP`): "
                    + ", ".join(f"`{step}` on {when}" for step, when in results["remeasured"].items())
                    + "."
                ),
                "",
            ]
            if results.get("remeasured")
            else []
        ),
        para(
            "Everything runs against local sandbox moto servers (`sandbox/moto_server.py`: moto held to AWS's "
            "DeleteUser rule and paging, recording every call), never AWS. Call counts are what AWS would be asked; "
            "wall times are the sandbox's on this machine, not AWS's."
        ),
        "",
        *_machine_section(results),
        *_offboarding_section(results),
        *_stale_section(results),
        *_latency_section(results),
        *_parse_section(results),
        *(organization.markdown_section(results) if "organization" in results else []),
        *(distributed.markdown_section(results) if "distributed" in results else []),
    ]
    path.write_text("\n".join(lines).rstrip() + "\n")


def write_plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(size) for size in results["stale"]["sizes"]]
    figure, (calls_axis, time_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    for approach, marker in (("report", "o"), ("per_user", "s")):
        rows = [results["stale"]["sizes"][str(size)][approach] for size in sizes]
        calls = [row["calls_first"] for row in rows]
        medians = [row["seconds"]["median"] for row in rows]
        errors = [
            [m - row["seconds"]["min"] for m, row in zip(medians, rows, strict=True)],
            [row["seconds"]["max"] - m for m, row in zip(medians, rows, strict=True)],
        ]
        calls_axis.plot(sizes, calls, marker=marker, label=APPROACH_LABELS[approach])
        for size, count in zip(sizes, calls, strict=True):
            calls_axis.annotate(f"{count:,}", (size, count), textcoords="offset points", xytext=(4, 6), fontsize=8)
        time_axis.errorbar(sizes, medians, yerr=errors, marker=marker, capsize=3, label=APPROACH_LABELS[approach])
        for size, median in zip(sizes, medians, strict=True):
            time_axis.annotate(_s(median), (size, median), textcoords="offset points", xytext=(4, 6), fontsize=8)
    for axis, title, ylabel in (
        (calls_axis, "IAM + STS calls to find stale users", "calls"),
        (time_axis, "Wall time of the finding step (median, range)", "seconds"),
    ):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlim(sizes[0] / 1.4, sizes[-1] * 2.2)
        axis.margins(y=0.2)
        axis.set_xticks(sizes, [f"{size:,}" for size in sizes])
        axis.set_xlabel("IAM users in the account")
        axis.set_ylabel(ylabel)
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8, loc="upper left")
    figure.suptitle("Finding stale IAM users (local moto sandbox)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
