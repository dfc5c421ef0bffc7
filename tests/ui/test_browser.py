"""The IAM lifecycle page in a real browser, on the shared Airflow (``tests.fixtures.distributed``): what a person
sees after an offboarding, and a Restore that brings the user back once another person approves it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from local.standalone import DAG_ID
from sandbox.seed import NOTHING, seed_user
from tests.fixtures.distributed import APPROVER, NOT_AN_APPROVER, ON_THE_STACK
from tests.helpers import holdings, user_exists

pytestmark = [pytest.mark.e2e, ON_THE_STACK]

PROVISIONING = "iam_user_provisioning"
USER = "ui.departing.engineer"
SHAPE = NOTHING | {"groups": 1, "managed_policies": 1, "inline_policies": 1, "access_keys": 1}


def status_of(method: str, url: str, body: dict | None = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_without_a_session_the_page_and_restore_are_refused(stack, browser_as):
    page = browser_as(stack, None)

    assert page.goto(f"{stack.url}/iam-lifecycle/").status == 401
    assert status_of("POST", f"{stack.url}/iam-lifecycle/restore", {"snapshot": "file:///x.json"}) == 401
    assert status_of("GET", f"{stack.url}/iam-lifecycle/reports") == 401


def test_the_page_lists_an_offboarding_with_who_asked_and_approved_and_restore_brings_the_user_back(stack, browser_as):
    seed_user(stack.iam, USER, SHAPE)
    before = holdings(stack.iam, USER)
    # Requested by one person, approved by another.
    run_id = stack.as_user(NOT_AN_APPROVER).trigger({"user_name": USER, "reason": "JIRA-22", "require_approval": True})
    stack.wait_for_approval(APPROVAL_TASK_ID, run_id)
    stack.answer(run_id, "Approve", APPROVAL_TASK_ID)
    assert stack.wait_for_run(run_id, timeout=180) == "success", stack.task_states(run_id)
    assert not user_exists(stack.iam, USER)

    page = browser_as(stack, NOT_AN_APPROVER)
    page.goto(f"{stack.url}/iam-lifecycle/?user={USER}")
    row = page.locator("tr.entry", has_text=run_id)
    assert row.locator(".user").inner_text() == USER
    assert row.locator(".outcome").inner_text() == "deleted"
    assert row.locator(".requested-by").inner_text() == NOT_AN_APPROVER
    assert row.locator(".approved-by").inner_text() == APPROVER
    assert "JIRA-22" in row.inner_text()

    row.locator("a.snapshot").click()
    page.wait_for_selector("#restore")
    held = page.locator("body").inner_text()
    assert before["groups"][0] in held and before["inline"][0] in held
    page.locator("#restore").click()
    restore_link = page.locator("#restore-result a")
    restore_link.wait_for()
    restore_run = restore_link.inner_text()
    assert restore_run.startswith(f"restore__{USER}__")

    # Restoring creates a user: the approval policy asks a person, not the one who asked (four eyes).
    stack.wait_for_approval(APPROVAL_TASK_ID, restore_run, dag_id=PROVISIONING)
    run = stack.api("GET", f"/dags/{PROVISIONING}/dagRuns/{restore_run}")
    assert run["triggering_user_name"] == NOT_AN_APPROVER
    stack.answer(restore_run, "Approve", APPROVAL_TASK_ID, dag_id=PROVISIONING)
    assert stack.wait_for_run(restore_run, PROVISIONING, timeout=180) == "success"
    assert user_exists(stack.iam, USER)
    assert holdings(stack.iam, USER)["groups"] == before["groups"]

    page.goto(f"{stack.url}/iam-lifecycle/?user={USER}")
    restored = page.locator("tr.entry", has_text=restore_run)
    assert restored.locator(".outcome").inner_text() == "restored"
    assert (restored.locator(".requested-by").inner_text(), restored.locator(".approved-by").inner_text()) == (
        NOT_AN_APPROVER,
        APPROVER,
    )
    assert DAG_ID in page.locator("tr.entry", has_text=run_id).locator("a", has_text=run_id).get_attribute("href")
