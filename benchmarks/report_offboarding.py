"""BENCHMARKS.md's machine and offboarding sections: the IAM calls of one offboarding, ours against the minimum."""

from __future__ import annotations

from benchmarks.report_text import bullet, para, timing


def _offboarding_calls_repeat(results: dict) -> bool:
    shapes = results["offboarding"]["shapes"].values()
    return all(row[who]["deterministic"] for row in shapes for who in ("plain", "ours"))


def machine_section(results: dict) -> list[str]:
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
        "`check_user` reads the user before anything else (it must exist and not be protected), and every task "
        "that changes it reads it again first — the snapshot, `contain_user`, each sign-in step, each mapped "
        "`detach_user_policy` (one per managed policy) and removal, and `delete_user`: a user deleted and recreated "
        "under the same name (another UserId), or protected meanwhile, is left alone. The price of acting on the "
        "user as it is when each task acts, in IAM's account-wide rate limit: one GetUser per changing task"
    ),
    "PutUserPolicy": (
        "`contain_user`, the first change: the inline policy `iam-lifecycle-deny-all` denies the user every action "
        "until just before DeleteUser, so that no later failure leaves it any access"
    ),
    "DeleteUserPolicy": "`delete_user` deletes the deny-all policy right before DeleteUser (AWS refuses it otherwise)",
    "ListAccessKeys": (
        "the sign-in step lists the keys again at the moment it deactivates them (a key created since the listing "
        "is deactivated too)"
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


def offboarding_section(results: dict) -> list[str]:
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
