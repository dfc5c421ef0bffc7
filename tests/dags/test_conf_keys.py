"""
A conf key that is not a param of the DAG fails the run in its first task, before any AWS call, naming the key.

Airflow ignores such keys: ``{"user_name": "victim", "dryRun": true}`` (or ``"dry_run "``) was a real deletion,
the dry run asked for in a key nobody reads. Every root task of each DAG checks the run's conf against the DAG's
params; the confs other DAGs trigger ``iam_user_offboarding`` with keep working.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException
from botocore.handlers import BUILTIN_HANDLERS

from iam_lifecycle.approval.proof import APPROVAL_RUN_KEY
from iam_lifecycle.authoring.params import unknown_conf_keys_reason
from iam_lifecycle.offboarding.organization import plan_offboardings
from iam_lifecycle.reconciliation.flow import offboarding_conf
from tests.helpers import project_dagbag

DAG_IDS = [
    "iam_user_offboarding",
    "iam_user_offboarding_organization",
    "iam_stale_user_reconciliation",
    "iam_user_provisioning",
]
#: A valid conf of each DAG, to which the stray key is added.
VALID = {
    "iam_user_offboarding": {"user_name": "victim"},
    "iam_user_offboarding_organization": {"user_name": "victim"},
    "iam_stale_user_reconciliation": {"mode": "delete"},
    "iam_user_provisioning": {"user_name": "new.hire"},
}
STRAY_KEYS = ["dryRun", "dry_run ", "DRY_RUN", "exclude_accounts"]


@pytest.fixture
def aws_calls(aws):
    """Every AWS API call (any service) made by any boto3 client created during the test."""
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(f"{model.service_model.service_name}:{model.name}")

    handler = ("before-call", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


def run_root_task(dag, task, conf: dict):
    """Run a root task of ``dag`` as a run with ``conf`` runs it: its context, and for a @task its callable."""
    from airflow.sdk.definitions.param import process_params
    from airflow.sdk.execution_time.context import set_current_context

    params = process_params(dag, task, conf, suppress_exception=False)
    context = {"dag": dag, "dag_run": SimpleNamespace(conf=conf, run_after=None), "params": params, "run_id": "r1"}
    with set_current_context(context):
        if hasattr(task, "python_callable"):
            wanted = inspect.signature(task.python_callable).parameters
            return task.python_callable(**{k: v for k, v in context.items() if k in wanted})
        task.render_template_fields(context)
        return task.execute(context)


@pytest.mark.parametrize("dag_id", DAG_IDS)
@pytest.mark.parametrize("stray", STRAY_KEYS)
def test_a_conf_key_that_is_not_a_param_fails_every_first_task_before_any_aws_call(aws_calls, dag_id, stray):
    dag = project_dagbag().dags[dag_id]
    conf = VALID[dag_id] | {stray: True}

    assert dag.roots
    for task in dag.roots:
        with pytest.raises(AirflowFailException) as raised:
            run_root_task(dag, task, conf)
        assert str(raised.value) == unknown_conf_keys_reason(conf, dag.params) + "; nothing was changed."
        assert repr(stray) in str(raised.value) and "\n" not in str(raised.value)
    assert aws_calls == []


def test_the_reason_names_every_unknown_key_and_the_params_there_are():
    params = project_dagbag().dags["iam_user_offboarding"].params

    reason = unknown_conf_keys_reason({"user_name": "victim", "dryRun": True, "dry_run ": True}, params)

    assert reason == (
        "conf keys 'dryRun', 'dry_run ' are not params of this DAG (its params: account_id, approval_timeout, "
        "aws_conn_id, dry_run, member_role_name, reason, require_approval, user_name)"
    )
    assert unknown_conf_keys_reason({"user_name": "victim", "dry_run": True}, params) is None
    assert unknown_conf_keys_reason(None, params) is None


def test_the_confs_other_dags_trigger_the_offboarding_with_are_all_its_params():
    params = project_dagbag().dags["iam_user_offboarding"].params
    lookup = {"aws_conn_id": "aws_org", "account_id": "111111111111", "member_role_name": "R", "exists": True}
    organization_conf = plan_offboardings([lookup], {"user_name": "a", "reason": "x", "dry_run": True})["confs"][0]
    candidate = {"user_name": "a", "reason": "stale", "aws_conn_id": "aws_org"} | lookup

    for conf in (organization_conf, offboarding_conf(candidate), offboarding_conf({**candidate, "account_id": None})):
        # As approval.proof.approved_offboarding_confs makes it: the run names its parent, which is no param.
        approved = {**conf, APPROVAL_RUN_KEY: {"dag_id": "iam_stale_user_reconciliation", "run_id": "r"}}
        assert unknown_conf_keys_reason(approved, params, also=[APPROVAL_RUN_KEY]) is None, approved
        assert unknown_conf_keys_reason(approved, params) is not None
