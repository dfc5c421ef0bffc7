"""iam_lifecycle.compat on the Airflow that runs the tests: 3.3's retry policies, or their equivalent before it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from iam_lifecycle import compat
from iam_lifecycle.aws.retries import IamRetryPolicy


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "DeleteUser")


def test_the_choice_follows_the_airflow_version():
    import airflow

    major_minor = tuple(int(part) for part in airflow.__version__.split(".")[:2])
    assert compat.NATIVE_RETRY_POLICY == (major_minor >= (3, 3))


def test_the_policy_fails_permanent_errors_and_leaves_the_others_to_retries():
    policy = IamRetryPolicy()
    assert policy.evaluate(client_error("AccessDenied"), 1, 3).action == compat.RetryAction.FAIL
    assert policy.evaluate(client_error("Throttling"), 1, 3).action == compat.RetryAction.DEFAULT


def test_every_dag_task_gets_the_policy_and_the_trigger_task_its_own():
    from tests.helpers import project_dagbag

    dags = project_dagbag().dags
    for dag in dags.values():
        for task in dag.tasks:
            policy = compat.retry_policy_of(task)
            # The tasks that trigger offboarding runs have their own policy (iam_lifecycle.offboarding.triggered_runs).
            policy = policy or getattr(task, "partial_kwargs", {}).get("retry_policy")
            # By name: a test that reloads compat (to take the other branch) leaves classes of two loads behind.
            assert type(policy).__name__ in {IamRetryPolicy.__name__, "ExceptionRetryPolicy"}, (dag.dag_id, task)
    trigger = dags["iam_stale_user_reconciliation"].get_task("offboard_stale_user")
    policy = compat.retry_policy_of(trigger) or trigger.partial_kwargs.get("retry_policy")
    failed_run = compat.AirflowException("iam_user_offboarding failed with failed state failed")
    assert policy.evaluate(failed_run, try_number=1, max_tries=2).action == compat.RetryAction.FAIL
    assert policy.evaluate(ConnectionError("reset"), try_number=1, max_tries=2).action == compat.RetryAction.DEFAULT


@pytest.mark.skipif(compat.NATIVE_RETRY_POLICY, reason="Airflow >= 3.3 evaluates retry policies itself")
def test_before_3_3_a_permanent_error_fails_the_task_without_retry_and_others_are_left_alone():
    from airflow.sdk.execution_time import task_runner

    def raising(error):
        def execute_task(context, ti, log):
            raise error

        return compat._with_retry_policy(execute_task)

    ti = SimpleNamespace(
        task=SimpleNamespace(retry_policy=None, dag=SimpleNamespace(default_args={"retry_policy": IamRetryPolicy()})),
        try_number=1,
        _ti_context_from_server=None,
    )
    log = SimpleNamespace(info=lambda *a, **k: None, exception=lambda *a, **k: None)
    with pytest.raises(compat.AirflowFailException, match="AccessDenied"):
        raising(client_error("AccessDenied"))({}, ti, log)
    with pytest.raises(ClientError):
        raising(client_error("Throttling"))({}, ti, log)
    with pytest.raises(compat.AirflowSkipException):
        raising(compat.AirflowSkipException("nothing to do"))({}, ti, log)
    assert getattr(task_runner._execute_task, "iam_lifecycle_retry_policy", False)
