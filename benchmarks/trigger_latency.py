"""Benchmark 3's second half: trigger through REST to the Slack message received, on ``airflow standalone``."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.common import summary
from benchmarks.offboarding import REPETITIONS
from sandbox.seed import EVERYTHING, seed_user


def _wait_for_message(stack, prefix: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text.startswith(prefix) for text in stack.messages):
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"no Slack message starting {prefix!r} within {timeout} s")


def _log_error(log: Path) -> str:
    """The last line of the standalone log that names an error, if any."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [line.strip() for line in lines if "Error" in line or "error" in line]
    return f"; the log's last error line: {errors[-1][:300]}" if errors else ""


def trigger_to_slack(home: Path, repetitions: int = REPETITIONS, log=print) -> dict:
    """Trigger through REST to the Slack message received, on ``airflow standalone`` (``local.standalone``)."""
    try:
        from local.standalone import standalone
    except ImportError as error:
        return {"measured": False, "reason": f"local.standalone cannot be imported ({error})"}
    started = time.perf_counter()
    try:
        with standalone(home, timeout=300) as stack:
            startup = time.perf_counter() - started
            log(f"  standalone stack up in {startup:.0f} s")
            stack.slack.echo = False
            stack.token()
            seconds = []
            for n in range(repetitions):
                user = f"bench-standalone-{n}"
                seed_user(stack.iam, user, EVERYTHING)
                triggered = time.perf_counter()  # includes Standalone.trigger's retries of SQLite's 500s, if any
                run_id = stack.trigger({"user_name": user, "reason": "make bench"})
                seconds.append(_wait_for_message(stack, f"IAM user {user} deleted", timeout=300) - triggered)
                if (state := stack.wait_for_run(run_id, timeout=120)) != "success":
                    raise RuntimeError(f"standalone run {run_id} ended {state}")
                log(f"  trigger to Slack: {seconds[-1]:.1f} s")
    except (RuntimeError, TimeoutError, OSError) as error:
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}{_log_error(home / 'standalone.log')}"
        return {"measured": False, "reason": reason}
    return {
        "measured": True,
        "module": standalone.__module__,
        "startup_seconds": startup,
        "seconds": summary(seconds),
        "runs": repetitions,
    }
