"""
Nothing changes IAM before a person approves, checked on the DAGs' structure.

Every task that can change IAM — the operators of ``operators/offboarding.py`` and ``operators/provisioning.py``
(but the listing), ``TagUserOperator``, the snapshot tasks, the tasks that trigger offboarding runs — has the
approval task upstream. Then each outcome of the approval is played through the DAG by Airflow's trigger rules
(every other task succeeding): a rejection (or a timeout, which answers Reject) skips every such task while the
report and Slack tasks still run; an approval, or no approval asked (``report`` mode, a dry run of the
organization's offboarding, ``require_approval`` false), lets them run.
"""

from __future__ import annotations

import inspect

import pytest

from iam_lifecycle.approval.answers import APPROVAL_TASK_ID
from iam_lifecycle.operators import offboarding, provisioning
from iam_lifecycle.operators.offboarding import ListUserHoldingsOperator
from iam_lifecycle.operators.users import TagUserOperator
from tests.helpers import project_dagbag

APPROVED_DAGS = ("iam_stale_user_reconciliation", "iam_user_offboarding_organization", "iam_user_offboarding")
#: The operators that change IAM: every IAM operator of the offboarding and provisioning modules but the listing.
CHANGING_OPERATORS = {
    cls
    for module in (offboarding, provisioning)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if cls.__module__ == module.__name__ and cls is not ListUserHoldingsOperator
} | {TagUserOperator}
#: TaskFlow tasks that come before a change: the snapshots.
CHANGING_CALLABLES = {"take_snapshot", "snapshot_user"}
#: Tasks that trigger DAG runs (offboardings).
TRIGGER_OPERATOR = "TriggerDagRunOperator"
#: The tasks that must run whatever the answer: the report and the Slack messages.
REPORTING = {
    "iam_stale_user_reconciliation": {"compose_message", "notify_slack", "fail_on_account_errors"},
    "iam_user_offboarding_organization": {"summarize", "notify_slack", "fail_on_failed_accounts"},
    "iam_user_offboarding": set(),  # a rejection is told by the approval task itself
}


def _operator_class(task):
    return getattr(task, "operator_class", type(task))


def can_change_iam(task) -> bool:
    cls = _operator_class(task)
    if isinstance(cls, type) and (cls in CHANGING_OPERATORS or cls.__name__ == TRIGGER_OPERATOR):
        return True
    kwargs = getattr(task, "partial_kwargs", {})
    callable_ = getattr(task, "python_callable", None) or kwargs.get("python_callable")
    return getattr(callable_, "__name__", None) in CHANGING_CALLABLES


@pytest.fixture(scope="module")
def dags():
    return {dag_id: project_dagbag().dags[dag_id] for dag_id in APPROVED_DAGS}


def changing_tasks(dag) -> set[str]:
    return {task.task_id for task in dag.tasks if can_change_iam(task)}


@pytest.mark.parametrize("dag_id", APPROVED_DAGS)
def test_every_task_that_can_change_iam_has_the_approval_upstream(dags, dag_id):
    dag = dags[dag_id]
    changing = changing_tasks(dag)
    assert changing, "the DAG changes IAM somewhere"
    for task_id in changing:
        upstream = dag.get_task(task_id).get_flat_relative_ids(upstream=True)
        assert APPROVAL_TASK_ID in upstream, f"{dag_id}.{task_id} can change IAM before {APPROVAL_TASK_ID}"


def test_the_changing_operators_are_found():
    names = {cls.__name__ for cls in CHANGING_OPERATORS}
    assert {"DeleteUserOperator", "DeactivateAccessKeysOperator", "CreateUserOperator", "TagUserOperator"} <= names
    assert "ListUserHoldingsOperator" not in names


def play(dag, approval: str, short_circuits: dict[str, bool]) -> dict[str, str]:
    """
    Each task's final state when the approval ends as ``approval`` and every other task succeeds, by Airflow's
    rules: a short circuit that returns False skips everything downstream (its default); the approval, on
    Reject, skips the tasks right after it (all downstream with ``ignore_downstream_trigger_rules``); a skipped
    approval (not asked) leaves them to their trigger rules.

    :param approval: ``rejected``, ``approved`` or ``not asked``.
    :param short_circuits: the value each short-circuit task returns.
    """
    state: dict[str, str] = {}
    forced: dict[str, str] = {}
    for task in dag.topological_sort():
        task_id = task.task_id
        if task_id in forced:
            state[task_id] = forced[task_id]
            continue
        upstream = [state[u] for u in task.upstream_task_ids]
        rule = str(getattr(task.trigger_rule, "value", task.trigger_rule))
        if rule == "all_success":
            runs = all(s == "success" for s in upstream)
        elif rule == "none_failed":
            runs = True
        elif rule == "none_failed_min_one_success":
            runs = any(s == "success" for s in upstream) or not upstream
        elif rule == "all_done":
            runs = True
        else:
            raise AssertionError(f"{dag.dag_id}.{task_id}: trigger rule {rule} is not modelled here")
        if not runs:
            state[task_id] = "skipped"
            continue
        if task_id == APPROVAL_TASK_ID and approval == "not asked":
            state[task_id] = "skipped"
            continue
        state[task_id] = "success"
        skip = None
        if task_id == APPROVAL_TASK_ID and approval == "rejected":
            flat = task.ignore_downstream_trigger_rules
            skip = task.get_flat_relative_ids(upstream=False) if flat else task.downstream_task_ids
        elif task_id in short_circuits and not short_circuits[task_id]:
            skip = task.get_flat_relative_ids(upstream=False)
        for skipped in skip or ():
            forced[skipped] = "skipped"
    return state


#: The short circuits of a real run of the offboarding DAG, and of a dry run.
REAL_RUN = {"is_dry_run": False, "is_real_run": True}
DRY_RUN = {"is_dry_run": True, "is_real_run": False}


@pytest.mark.parametrize("dag_id", APPROVED_DAGS)
def test_a_rejection_or_a_timeout_skips_every_change_and_the_report_still_runs(dags, dag_id):
    dag = dags[dag_id]
    state = play(dag, "rejected", REAL_RUN)

    assert state[APPROVAL_TASK_ID] == "success"
    assert {task_id: state[task_id] for task_id in changing_tasks(dag)} == dict.fromkeys(changing_tasks(dag), "skipped")
    assert {task_id: state[task_id] for task_id in REPORTING[dag_id]} == dict.fromkeys(REPORTING[dag_id], "success")


@pytest.mark.parametrize("dag_id", APPROVED_DAGS)
def test_an_approval_lets_every_change_run(dags, dag_id):
    dag = dags[dag_id]
    state = play(dag, "approved", REAL_RUN)

    assert {task_id for task_id in changing_tasks(dag) | REPORTING[dag_id] if state[task_id] != "success"} == set()


def test_with_no_approval_asked_the_report_runs_and_the_organizations_dry_run_offboards(dags):
    # report mode: the approval is skipped, the report and Slack still run (the changes have nothing to do).
    reconciliation = play(dags["iam_stale_user_reconciliation"], "not asked", {})
    assert {t: reconciliation[t] for t in REPORTING["iam_stale_user_reconciliation"]} == dict.fromkeys(
        REPORTING["iam_stale_user_reconciliation"], "success"
    )
    # A dry run of the organization's offboarding asks nobody, and each account's (dry) offboarding still runs.
    organization = play(dags["iam_user_offboarding_organization"], "not asked", {})
    assert organization["offboard_in_account"] == organization["summarize"] == "success"
    # require_approval false: the offboarding goes on without one, to the last change and Slack.
    single = play(dags["iam_user_offboarding"], "not asked", REAL_RUN)
    assert {
        t for t in changing_tasks(dags["iam_user_offboarding"]) | {"notify_slack"} if single[t] != "success"
    } == set()


def test_a_dry_run_of_the_offboarding_asks_nobody_and_changes_nothing(dags):
    dag = dags["iam_user_offboarding"]
    state = play(dag, "approved", DRY_RUN)

    assert state[APPROVAL_TASK_ID] == "skipped" and state["post_plan"] == "success"
    assert {task_id for task_id in changing_tasks(dag) if state[task_id] != "skipped"} == set()


def test_the_approval_page_asks_only_approve_or_reject_and_times_out_to_reject(dags):
    for dag in dags.values():
        approval = dag.get_task(APPROVAL_TASK_ID)
        assert approval.options == ["Approve", "Reject"] and approval.defaults == ["Reject"]
        assert approval.serialized_params == {}  # the DAG's params are no form fields of the approval
        assert dag.params["approval_timeout"] == 24 * 60 * 60
