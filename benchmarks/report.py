"""BENCHMARKS.md and the stale-finding plot, from the results of one ``make bench`` run."""

from __future__ import annotations

from pathlib import Path

from benchmarks import distributed, organization
from benchmarks.report_latency import latency_section, parse_section
from benchmarks.report_offboarding import machine_section, offboarding_section
from benchmarks.report_stale import stale_section, write_plot
from benchmarks.report_text import PLOT, ROOT, para

__all__ = ["write_markdown", "write_plot"]


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
        *machine_section(results),
        *offboarding_section(results),
        *stale_section(results),
        *latency_section(results),
        *parse_section(results),
        *(organization.markdown_section(results) if "organization" in results else []),
        *(distributed.markdown_section(results) if "distributed" in results else []),
    ]
    path.write_text("\n".join(lines).rstrip() + "\n")
