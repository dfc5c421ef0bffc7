"""BENCHMARKS.md and the stale-finding plot, from the results of one ``make bench`` run."""

from __future__ import annotations

import textwrap
from pathlib import Path

from benchmarks.common import ROOT

PLOT = ROOT / "benchmarks" / "stale_finding.png"
WIDTH = 115
APPROACH_LABELS = {
    "report": "credential report + GetAccountAuthorizationDetails (ours)",
    "per_user": "per-user calls",
}


def _s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


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
            "the median of its repetitions, with their range and count (n). Call counts are exact and deterministic."
        ),
        "",
    ]


def _held(shape: dict) -> str:
    if not any(shape.values()):
        return "no dependencies at all, not even a login profile"
    parts = [f"{kind.replace('_', ' ')} {count}" for kind, count in shape.items() if kind != "login_profile" and count]
    return ", ".join(parts + (["login profile"] if shape["login_profile"] else []))


def _offboarding_section(results: dict) -> list[str]:
    shapes = results["offboarding"]["shapes"]
    lines = [
        "## 1. IAM calls per offboarding",
        "",
        para(
            "Each row is a real run of `airflow dags test iam_user_offboarding` against a sandbox moto server, "
            "each with a freshly seeded user; calls, IAM and STS, are counted at the HTTP level "
            "from the server's call log."
        ),
        "",
        bullet(
            "**minimum**: what any correct offboarding must call — `GetUser`, one list call per kind of dependency "
            "(9: `ListAttachedUserPolicies`, `ListUserPolicies`, `ListGroupsForUser`, `ListAccessKeys`, "
            "`ListSSHPublicKeys`, `ListSigningCertificates`, `ListServiceSpecificCredentials`, `ListMFADevices`, "
            "`GetLoginProfile`), one call per item held (for an MFA device `DeactivateMFADevice`), "
            "`DeleteVirtualMFADevice` per virtual MFA device, and `DeleteUser`."
        ),
        bullet(
            "**safety reads**: what the safety features add — STS `GetCallerIdentity` (a run never deletes its own "
            "identity; the Slack message names it) and `GetUserPolicy` per inline policy (its document goes into "
            "the snapshot)."
        ),
        bullet("**other**: measured − minimum − safety reads."),
        "",
        "| user holds | items | minimum | + safety reads | measured | other | measured / minimum | dags test wall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, row in shapes.items():
        other = row["measured"] - row["minimum"] - row["safety"]
        lines.append(
            f"| {label} | {row['items']} | {row['minimum']} | {row['safety']} | {row['measured']} | {other} | "
            f"{row['measured'] / row['minimum']:.2f} | {timing(row['wall'])} |"
        )
    lines.append("")
    for label, row in shapes.items():
        lines.append(bullet(f"**{label}**: {_held(row['shape'])}."))
    if "everything" in shapes:
        by_action = ", ".join(f"`{action}` {count}" for action, count in shapes["everything"]["by_action"].items())
        lines += ["", para(f'Calls by action, "everything": {by_action}.')]
    lines.append("")
    pointless = [
        label
        for label, row in shapes.items()
        if not row["shape"]["login_profile"] and row["by_action"].get("DeleteLoginProfile")
    ]
    if pointless:
        lines += [
            para(
                f"**other** for {', '.join(pointless)}: the `delete_login_profile` task always calls "
                "`DeleteLoginProfile`, also for a user without a console password (IAM answers NoSuchEntity, which "
                "counts as done). The plan already says whether there is one, so that call could be skipped."
            ),
            "",
        ]
    if any(not row["deterministic"] for row in shapes.values()):
        lines += ["Warning: repeated runs of one shape made different numbers of calls.", ""]
    lines += [
        para(
            'The "everything" user is `sandbox.seed.EVERYTHING`. AWS attaches at most 10 managed policies to a user '
            "by default (20 with a quota increase): 50 is beyond what AWS allows and only shows how the mapped "
            "`detach_user_policy` (one task per policy) scales."
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


def _stale_section(results: dict) -> list[str]:
    stale = results["stale"]
    sizes = list(stale["sizes"])
    first, last = stale["sizes"][sizes[0]], stale["sizes"][sizes[-1]]
    lines = [
        "## 2. Finding stale users",
        "",
        para(
            f"Accounts of {_sizes(sizes)} users (one access key each; every third "
            "user also has a console password; creation and last-use dates spread over two years, every fifth user's "
            "credentials never used), created straight in moto's state with `POST /_sandbox/bulk_users`. Stale "
            f"means unused for {stale['max_idle_days']} days or more. Both approaches run side by side on the same "
            "server, each in a subprocess of its own, after a warm-up run on an empty account; only the finding "
            "step is timed."
        ),
        "",
        bullet(
            "**ours** — what the reconciliation DAG's `find_stale_users` runs, `reconciliation.find_in_account`: "
            "`credential_report.fetch_credential_report` (`GenerateCredentialReport` until complete, then "
            "`GetCredentialReport`), "
            "`staleness.stale_users`, `IamHook.list_users_with_details` (`GetAccountAuthorizationDetails`, 1,000 users "
            "a page, with their tags) and STS `GetCallerIdentity`."
        ),
        bullet(
            "**per-user** — `ListUsers` (1,000 a page), then for each user `GetLoginProfile` (is there a password? its "
            "last use comes with `ListUsers`), `ListAccessKeys`, and `GetAccessKeyLastUsed` per key. It reads no "
            "tags: exempting protected users, as ours does, would add a `ListUserTags` call per user."
        ),
        "",
        para(
            "The sandbox pages `ListUsers` and `GetAccountAuthorizationDetails` as AWS does (`MaxItems` 100 by "
            "default, at most 1,000, then `Marker`); moto alone returns everything in one page. It also finds an "
            "access key by id directly for `GetAccessKeyLastUsed` (moto scans every key of every user per call), so "
            "the per-user approach is not slowed by a cost AWS does not have."
        ),
        "",
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
    singles = [f"{int(size):,}" for size, m in stale["sizes"].items() if len(m["per_user"]["seconds"]["values"]) == 1]
    lines += [
        "",
        f"![IAM calls and wall time versus number of users]({PLOT.relative_to(ROOT).as_posix()})",
        "",
        bullet(
            f"Both approaches found {'the same' if agree else 'DIFFERENT'} stale users at every size (compared "
            "name by name)."
        ),
        bullet(
            "Calls: ours stays nearly flat (the report's 2-3 calls, one `GetAccountAuthorizationDetails` per 1,000 "
            "users, one STS call); per-user makes 3 calls per user here (more with two keys, one more with tags). "
            f"That is {_ratio(first, 'calls_first')} as many calls at {int(sizes[0]):,} users and "
            f"{_ratio(last, 'calls_first')} at {int(sizes[-1]):,}, and {_ratio(last, 'seconds')} the wall time at "
            f"{int(sizes[-1]):,}. On AWS every one of those calls also counts against the "
            "account-wide IAM rate limits, which cannot be raised and which all other IAM automation shares."
        ),
        bullet(
            "Counts are from the first run on the account, which makes one more `GenerateCredentialReport` call "
            "(moto answers STARTED, then COMPLETE). On AWS, generating the report of a large account takes seconds "
            "and the DAG polls every two seconds; here it is immediate and the benchmark does not sleep between polls."
        ),
        bullet(
            "Memory is how much the worker's peak RSS grew during its first timed run (after a garbage "
            "collection): ours holds the whole credential report and user listing, parsed, at once and creates its "
            "own boto3 clients (as the DAG's task does); per-user holds one page of users and reuses one client."
        ),
    ]
    if singles:
        lines.append(bullet(f"The per-user approach ran once at {', '.join(singles)} users (minutes per run)."))
    lines.append("")
    return lines


def _latency_section(results: dict) -> list[str]:
    latency = results["offboarding"]["latency"]
    real, noop = latency["real"], latency["noop"]
    lines = [
        "## 3. Run latency",
        "",
        para(
            '`airflow dags test` of offboarding the "everything" user, and of `noop_offboarding`: a DAG generated '
            "from the real one's graph (same task ids, edges, trigger rules and short-circuits, `detach_user_policy` "
            "mapped over 12 items) whose tasks do nothing. Runs alternate: real, no-op, real, … *Run* is the "
            "DagRun's own duration (from its log); *wall* adds starting the `airflow` process and parsing the DAG "
            "folder. A task's time runs from its start to the next task's start."
        ),
        "",
        "| | wall | run | tasks run | first task | later tasks, median each |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in (("offboarding (everything)", real), ("no-op twin", noop)):
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
            f"{_s(difference - first - later)} in tasks slower than the median. The 39 calls themselves take well "
            "under a second at the sandbox's speed."
        ),
        "",
    ]
    standalone = results.get("standalone") or {"measured": False, "reason": "not run"}
    if standalone["measured"]:
        lines += [
            para(
                "**Trigger to Slack on `airflow standalone`** (scheduler, dag-processor, api-server and triggerer; "
                "LocalExecutor, SQLite; `sandbox/standalone.py`): from the REST `POST /api/v2/dags/…/dagRuns` to the "
                'Slack stand-in receiving "IAM user … deleted", offboarding the "everything" user: '
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
        lines += [
            para(
                f"Importing `{module}` alone (for `TriggerDagRunOperator`, in `iam_stale_user_reconciliation.py`) "
                f"takes {timing(stat, unit='ms')}: most of that file's parse time."
            ),
            "",
        ]
    return lines


def write_markdown(results: dict, path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        para(
            f"Written by `make bench` (`benchmarks/run.py`) on {results['started_at']}; the run took "
            f"{results['total_seconds'] / 60:.1f} minutes. Every number below is from that run; `make bench` "
            f"measures again and rewrites this file, `{PLOT.relative_to(ROOT).as_posix()}` and "
            "`benchmarks/results.json` (the raw numbers)."
        ),
        "",
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
