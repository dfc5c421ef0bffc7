"""``make bench``: run every benchmark on local moto servers and write BENCHMARKS.md and benchmarks/stale_finding.png.

1. IAM calls per offboarding, by user shape, next to a plain boto3 script on the same shape
   (``benchmarks/offboarding.py``, ``benchmarks/plain_boto3.py``).
2. Finding stale users at 100, 1,000 and 10,000 users: ours versus per-user calls (``benchmarks/stale.py``).
3. Run latency: the offboarding DAG versus a no-op DAG of the same graph, and trigger to Slack on
   ``airflow standalone`` (``benchmarks/trigger_latency.py``).
4. Parse time of each DAG file beyond importing Airflow and the providers (``benchmarks/parse.py``).
5. A stale-user report over an AWS Organization of 1, 10 and 50 accounts (``benchmarks/organization.py``).
6. Bulk offboarding of 50 users on a distributed Airflow (CeleryExecutor), in one account and over five
   (``benchmarks/distributed.py``).

Everything runs in a temporary directory (Airflow homes, SQLite, logs) that is removed at the end; only
BENCHMARKS.md, the plot and ``benchmarks/results.json`` (the raw numbers) are written to the repository.
``--report-only`` rewrites the first two from ``results.json`` without measuring anything.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import distributed, offboarding, organization, parse, report, stale, trigger_latency
from benchmarks.common import ROOT, machine, versions

RESULTS = ROOT / "benchmarks" / "results.json"
MARKDOWN = ROOT / "BENCHMARKS.md"


def log(message: str) -> None:
    print(message, flush=True)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def measure(only: list[str] | None = None) -> dict:
    """Every step, or (``only``) just those, the other steps' numbers kept from results.json."""
    started = time.perf_counter()
    if only:
        results = json.loads(RESULTS.read_text())
        results.setdefault("remeasured", {}).update(dict.fromkeys(only, _now()))
    else:
        results = {"started_at": _now(), "machine": machine(), "versions": versions()}
    with tempfile.TemporaryDirectory(prefix="iam-lifecycle-bench-") as tmp:
        home = Path(tmp)
        steps = (
            ("parse", "4. Parse time of each DAG file", lambda: parse.run(str(home / "parse"), log)),
            ("stale", "2. Finding stale users", lambda: stale.run(str(home / "stale"), log)),
            ("offboarding", "1 and 3. Offboarding: calls and latency", lambda: offboarding.run(home, log)),
            ("standalone", "3. Trigger to Slack on airflow standalone", lambda: _standalone(home)),
            ("organization", "5. Report over an organization", lambda: organization.run(str(home / "org"), log)),
            ("distributed", "6. Bulk offboarding on a distributed Airflow", lambda: distributed.run(log)),
        )
        for key, title, step in steps:
            if only and key not in only:
                continue
            step_started = time.perf_counter()
            log(f"== {title}")
            results[key] = step()
            log(f"   ({time.perf_counter() - step_started:.0f} s)")
    if not only:
        results["total_seconds"] = time.perf_counter() - started
    return results


def _standalone(home: Path) -> dict:
    result = trigger_latency.trigger_to_slack(home / "standalone", log=log)
    if not result["measured"]:
        log(f"  not measured: {result['reason']}")
    return result


def headlines(results: dict) -> list[str]:
    reference = results["offboarding"]["latency_shape"]
    calls = results["offboarding"]["shapes"][reference]
    plain, ours = calls["plain"]["calls"], calls["ours"]["calls"]
    largest = list(results["stale"]["sizes"])[-1]
    big = results["stale"]["sizes"][largest]
    latency = results["offboarding"]["latency"]
    standalone = results["standalone"]
    lines = [
        f"offboarding '{reference}': plain boto3 script {plain} calls, ours {ours} (+{ours - plain}, "
        f"{ours / plain:.2f}x)",
        f"stale users at {int(largest):,}: ours {big['report']['calls_first']} calls in "
        f"{big['report']['seconds']['median']:.2f} s; per-user {big['per_user']['calls_first']:,} calls in "
        f"{big['per_user']['seconds']['median']:.0f} s",
        f"dags test run: offboarding {latency['real']['run_duration']['median']:.1f} s, "
        f"no-op twin {latency['noop']['run_duration']['median']:.1f} s",
    ]
    if standalone["measured"]:
        lines.append(f"trigger to Slack (standalone): {standalone['seconds']['median']:.1f} s median")
    for name, row in results["parse"]["files"].items():
        lines.append(f"parse {name}: {row['parse']['median'] * 1000:.0f} ms")
    if "organization" in results:
        lines.append(organization.headline(results))
    if "distributed" in results:
        lines.append(distributed.headline(results))
    lines.append(f"total: {results['total_seconds'] / 60:.1f} min")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from results.json")
    parser.add_argument("--only", action="append", help="measure only this step (e.g. distributed), keep the rest")
    args = parser.parse_args(argv)
    if args.report_only:
        results = json.loads(RESULTS.read_text())
    else:
        RESULTS.write_text(json.dumps(measure(args.only), indent=1) + "\n")
        results = json.loads(RESULTS.read_text())  # the report reads the numbers as saved (keys are strings)
    report.write_markdown(results, MARKDOWN)
    report.write_plot(results, report.PLOT)
    log("\n".join(["", "== Headlines", *headlines(results), f"Wrote {MARKDOWN.name} and {report.PLOT.name}."]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
