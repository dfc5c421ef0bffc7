"""BENCHMARKS.md's latency and parse sections: trigger to Slack, dags test, and what parsing the DAGs costs."""

from __future__ import annotations

from benchmarks.report_text import bullet, para, seconds, timing


def _mapped(lengths: dict[str, int]) -> str:
    """'12 over `policies_to_detach`, 7 over `removals`'."""
    return ", ".join(f"{count} over `{source}`" for source, count in lengths.items())


def latency_section(results: dict) -> list[str]:
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
            f"{seconds(noop['run_duration']['median'])} a run, of which "
            f"{seconds(noop['first_task']['median'])} for the first "
            f"task and about {noop['later_task_median']['median'] * 1000:.0f} ms per task after it."
        ),
        bullet(
            f"The IAM work, real minus no-op (medians): {seconds(difference)} a run. "
            f"Of that, {seconds(first)} in the first "
            "task (the first AWS task also loads boto3 and the provider's AWS hooks), about "
            f"{per_task * 1000:.0f} ms in each later "
            f"task ({seconds(later)} over {real['tasks_run'] - 1} tasks: a boto3 client per task and its calls), and "
            f"{seconds(difference - first - later)} in tasks slower than the median. For scale: the plain boto3 script "
            f"made its {calls['plain']['calls']} calls on the same kind of user in "
            f"{seconds(calls['plain']['seconds']['median'])} (ours makes {calls['ours']['calls']})."
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


def parse_section(results: dict) -> list[str]:
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
