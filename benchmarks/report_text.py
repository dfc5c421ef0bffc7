"""How BENCHMARKS.md writes numbers and paragraphs: timings, wrapped text, the plot's place and labels."""

from __future__ import annotations

import textwrap

from benchmarks.common import ROOT

PLOT = ROOT / "benchmarks" / "stale_finding.png"
WIDTH = 115
APPROACH_LABELS = {
    "report": "credential report + GetAccountAuthorizationDetails (ours)",
    "per_user": "per-user calls",
}


def seconds(value: float) -> str:
    """Seconds, with two decimals below ten."""
    return f"{value:.2f} s" if round(value, 2) < 10 else f"{value:.1f} s"


def timing(stat: dict, scale: float = 1.0, unit: str = "s") -> str:
    """``median (min–max, n=N)``; a single value alone."""
    if unit == "ms":
        median, low, high = (stat[k] * 1000 for k in ("median", "min", "max"))
        text = f"{median:.0f} ms"
        spread = f"{low:.0f}–{high:.0f}"
    else:
        median, low, high = (stat[k] * scale for k in ("median", "min", "max"))
        text, spread = seconds(median), f"{seconds(low)[:-2]}–{seconds(high)[:-2]}"
    n = len(stat["values"])
    return text if n == 1 else f"{text} ({spread}, n={n})"


def para(text: str) -> str:
    return textwrap.fill(text, WIDTH, break_on_hyphens=False)


def bullet(text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def actions(by_action: dict[str, int]) -> str:
    return ", ".join(f"`{action}` {count:,}" for action, count in by_action.items())
