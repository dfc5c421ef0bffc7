"""A pytest plugin for scripts/matrix.sh: lets the project's tests, written for Airflow 3.3, import on 3.1 and 3.2.

The tests import a few names where Airflow 3.3 keeps them (``airflow.sdk.exceptions``, ``airflow.dag_processing
.dagbag``); on older versions this aliases them to where those versions keep the same classes, before collection.
It also keeps one in-process Execution API per process, as 3.3 does. It changes nothing on 3.3. The package itself
needs none of this (iam_lifecycle.compat). Tests of 3.3-only behaviour are deselected on older versions, each with
its reason, and their equivalent is tested in tests/packaging/test_compat.py.
"""

from __future__ import annotations

import functools
import importlib
import sys

import pytest


def _alias() -> None:
    import airflow.exceptions
    import airflow.sdk.exceptions as sdk_exceptions

    for name in (
        "AirflowFailException",
        "AirflowSkipException",
        "AirflowNotFoundException",
        "DownstreamTasksSkipped",
        "TaskDeferred",
    ):
        if not hasattr(sdk_exceptions, name) and hasattr(airflow.exceptions, name):
            setattr(sdk_exceptions, name, getattr(airflow.exceptions, name))
    if not hasattr(sdk_exceptions, "ParamValidationError"):
        from airflow.sdk.definitions.param import ParamValidationError  # noqa: F401

        sdk_exceptions.ParamValidationError = sys.modules["airflow.sdk.definitions.param"].ParamValidationError
    try:
        importlib.import_module("airflow.dag_processing.dagbag")
    except ImportError:
        sys.modules["airflow.dag_processing.dagbag"] = importlib.import_module("airflow.models.dagbag")


#: Tests of what only Airflow 3.3 has, by node id prefix: why each does not run on older versions.
ONLY_ON_3_3 = {
    "tests/unit/test_reconciliation.py::test_offboarding_runs_are_not_triggered_again_when_one_failed": (
        "reads the mapped task's retry_policy, which Airflow < 3.3 has not: test_compat covers the equivalent"
    ),
}


def _one_execution_api_per_process() -> None:
    """
    ``dag.test`` on Airflow < 3.3 builds its in-process Execution API app afresh for every task (3 to 4 s each,
    ten times a whole run's own work); 3.3 keeps one per process (``functools.lru_cache`` on the same function).
    """
    from airflow.sdk.execution_time import supervisor

    if not hasattr(supervisor.in_process_api_server, "cache_info"):
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(supervisor.in_process_api_server)


def pytest_configure(config: pytest.Config) -> None:
    _alias()
    _one_execution_api_per_process()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from iam_lifecycle.compat import NATIVE_RETRY_POLICY

    if NATIVE_RETRY_POLICY:
        return
    for item in items:
        for prefix, reason in ONLY_ON_3_3.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.skip(reason=f"Airflow 3.3 only: {reason}"))
