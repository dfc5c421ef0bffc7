"""BENCHMARKS.md's stale-user section and its plot: finding stale users by credential report against per-user calls."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report_text import APPROACH_LABELS, PLOT, ROOT, actions, bullet, para, seconds, timing


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


def stale_section(results: dict) -> list[str]:
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
        f"{int(size):,} users ({seconds(m['per_user']['seconds']['median'])})"
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
            f"Calls by action at {int(sizes[0]):,} users — ours: {actions(first['report']['by_action'][0])}; "
            f"per-user: {actions(first['per_user']['by_action'][0])}. At {int(sizes[-1]):,} users — ours: "
            f"{actions(last['report']['by_action'][0])}; per-user: {actions(last['per_user']['by_action'][0])}. "
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
            time_axis.annotate(seconds(median), (size, median), textcoords="offset points", xytext=(4, 6), fontsize=8)
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
