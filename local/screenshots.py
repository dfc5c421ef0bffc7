"""``make screenshots``: run one offboarding on the standalone Airflow and save UI screenshots to docs/screenshots/.

Starts the stack of ``local.standalone`` in a throwaway AIRFLOW_HOME, seeds a user, triggers one offboarding
through the REST API, then drives headless Chromium over the DevTools protocol (on a pipe: no extra package)
to take PNGs of the run's grid and graph views, the task page with the AWS console link, and the trigger form;
then a reconciliation in mode ``disable`` over the back-dated users, and its approval page while it waits; then
the IAM lifecycle page (``iam_lifecycle.ui``): its history in Airflow's navigation, the offboarded user's snapshot
with its Restore button, and the reconciliation's reports. The offboarding is requested by ``operator`` and
approved by ``admin``, so the history names both. The browser is logged in the way the UI itself is: admin's
token from ``POST /auth/token`` in the ``_token`` cookie.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from local.standalone import BYSTANDER, DAG_ID, DEMO_USER, RECONCILIATION_DAG_ID, ROOT, standalone
from sandbox.seed import NOTHING, seed_back_dated_users, seed_user, set_user_dates

OUT = ROOT / "docs" / "screenshots"
#: The approval task's id (``approval.answers.APPROVAL_TASK_ID``; the package is not importable from here).
APPROVAL_TASK_ID = "approve_changes"
#: Who asks for the offboarding, and who approves it (the only approver).
REQUESTER, APPROVER = "operator", "admin"
WIDTH, HEIGHT = 1600, 1000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={WIDTH},{HEIGHT}",
]


class Browser:
    """Headless Chromium driven over the DevTools protocol on ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, executable: str, timeout: float = 30) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def give_pipes_to_chrome() -> None:  # in the child, before exec: Chromium reads fd 3 and writes fd 4
            high_r, high_w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=give_pipes_to_chrome,
            close_fds=False,  # only fds 3 and 4 are inheritable: Python opens every other fd close-on-exec
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=self.session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.from_chrome], [], [], remaining)[0]:
                raise TimeoutError(f"Chromium did not answer {method} within {self.timeout} s")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self.buffer += chunk

    def page(self, method: str, params: dict | None = None) -> dict:
        return self.send(method, params, session=self.session)

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(
                f"{expression}: {result['exceptionDetails'].get('exception', result['exceptionDetails'])}"
            )
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.page("Page.navigate", {"url": url})

    def wait_for(self, expression: str, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page did not show {what} within {timeout} s")
            time.sleep(0.5)
        time.sleep(1.5)  # let layouts and transitions settle before the picture

    def screenshot(self, path: Path) -> None:
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"  wrote {path.relative_to(ROOT)}")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)


def text_shown(*texts: str) -> str:
    """A JS expression: true once the page's visible text contains every one of ``texts``."""
    return " && ".join(f"document.body && document.body.innerText.includes({json.dumps(t)})" for t in texts)


def lifecycle_page(browser: Browser, url: str) -> None:
    """The IAM lifecycle page: in Airflow's navigation (its own frame), a snapshot, and the reports."""
    browser.goto(f"{url}/iam-lifecycle/")  # the page itself first: its text is not visible through the frame
    browser.wait_for(text_shown(DEMO_USER, "deleted", REQUESTER), "the IAM lifecycle history")
    snapshot = browser.evaluate("document.querySelector('a.snapshot').href")
    browser.goto(f"{url}/plugin/iam-lifecycle")
    browser.wait_for(text_shown("IAM lifecycle"), "the page in Airflow's navigation")
    time.sleep(3)  # the frame loads after the UI
    browser.screenshot(OUT / "iam-lifecycle-history.png")
    browser.goto(snapshot)
    browser.wait_for(text_shown("What the user held", f"Restore {DEMO_USER}"), "the snapshot")
    browser.screenshot(OUT / "iam-lifecycle-snapshot.png")
    browser.goto(f"{url}/iam-lifecycle/reports")
    browser.wait_for(text_shown("Stale users", "unused credentials"), "the reconciliation's reports")
    browser.screenshot(OUT / "iam-lifecycle-reports.png")


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("No Chromium found (Debian: apt-get install chromium); no screenshots taken.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="iam-lifecycle-screenshots-") as home:
        print("Starting airflow standalone in a throwaway home ...")
        env = {
            # No scheduled reconciliation ahead of the triggered one (one run at a time).
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{APPROVER}:admin,{REQUESTER}:user",
            "AIRFLOW_VAR_IAM_LIFECYCLE_APPROVERS": json.dumps([APPROVER]),
        }
        with standalone(Path(home), dag_ids=(DAG_ID, RECONCILIATION_DAG_ID), extra_env=env) as stack:
            seed_user(stack.iam, DEMO_USER, tags={"team": "data"})
            seed_user(stack.iam, BYSTANDER)
            seed_back_dated_users(stack.iam, stack.moto_url)
            conf = {"user_name": DEMO_USER, "reason": "JIRA-123", "require_approval": True}
            run_id = stack.as_user(REQUESTER).trigger(conf)
            print(f"Triggered {run_id}; approving it and waiting for it to finish ...")
            stack.wait_for_approval(APPROVAL_TASK_ID, run_id)
            stack.answer(run_id, "Approve", APPROVAL_TASK_ID)
            state = stack.wait_for_run(run_id, timeout=180)
            print(f"Run state: {state}")
            run_url = f"{stack.url}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"
            browser = Browser(chromium)
            try:
                browser.page("Network.enable")
                browser.page(
                    "Network.setCookie", {"name": "_token", "value": stack.token(), "url": stack.url, "path": "/"}
                )
                browser.goto(stack.url)
                browser.wait_for(text_shown("Dags"), "the home page")

                for view in ("grid", "graph"):
                    browser.evaluate(f"localStorage.setItem('default_dag_view', {json.dumps(json.dumps(view))})")
                    browser.goto(run_url)
                    browser.wait_for(text_shown("delete_user", "notify_slack"), f"the run's {view} view")
                    browser.screenshot(OUT / f"offboarding-run-{view}.png")

                browser.goto(f"{run_url}/tasks/delete_user/details")
                browser.wait_for(text_shown("IAM user in AWS console"), "the task's AWS console link")
                browser.screenshot(OUT / "offboarding-task-console-link.png")

                browser.goto(f"{stack.url}/dags/{DAG_ID}")
                browser.wait_for(text_shown("Trigger"), "the DAG page")
                browser.evaluate(
                    "[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Trigger').click()"
                )
                browser.wait_for(text_shown("IAM user name"), "the trigger form")
                for value in (DEMO_USER, "JIRA-123"):  # the form's first empty text fields: user name, then reason
                    browser.evaluate(
                        "[...document.querySelectorAll('[role=dialog] input')]"
                        ".find(i => ['', 'text'].includes(i.getAttribute('type') || '') && !i.value).focus()"
                    )
                    browser.page("Input.insertText", {"text": value})
                time.sleep(1)
                browser.screenshot(OUT / "offboarding-trigger-form.png")

                # A reconciliation that would disable the stalest back-dated user waits for a person's approval.
                approval_run = stack.trigger({"mode": "disable", "max_users": 1}, dag_id=RECONCILIATION_DAG_ID)
                stack.wait_for_approval(APPROVAL_TASK_ID, approval_run, dag_id=RECONCILIATION_DAG_ID)
                browser.goto(
                    f"{stack.url}/dags/{RECONCILIATION_DAG_ID}/runs/{quote(approval_run, safe='')}"
                    f"/tasks/{APPROVAL_TASK_ID}/required_actions"
                )
                browser.wait_for(text_shown("Disable 1 IAM user", "Over the cap", "Approve"), "the approval page")
                browser.screenshot(OUT / "approval-page.png")
                stack.answer(approval_run, "Reject", APPROVAL_TASK_ID, dag_id=RECONCILIATION_DAG_ID)
                stack.wait_for_run(approval_run, dag_id=RECONCILIATION_DAG_ID)
                # A second report, after one more user went idle, so the reports' chart has a line to draw.
                seed_user(stack.iam, "idle.intern", NOTHING | {"access_keys": 1, "login_profile": True})
                created = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=120)).isoformat()
                set_user_dates(stack.moto_url, "idle.intern", {"create_date": created, "access_key_last_used": [None]})
                later = stack.trigger({"mode": "report"}, dag_id=RECONCILIATION_DAG_ID)
                stack.wait_for_run(later, dag_id=RECONCILIATION_DAG_ID)
                lifecycle_page(browser, stack.url)
            finally:
                browser.close()
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
