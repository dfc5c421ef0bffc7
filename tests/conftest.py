"""Shared fixtures. Airflow reads its configuration at import, so the test Airflow home is set up first."""

from __future__ import annotations

import os
import tempfile
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="iam-lifecycle-airflow-"))
os.environ.update(
    AIRFLOW_HOME=str(AIRFLOW_HOME),
    AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    # The key approval records are signed with (a deployment's approval task makes one on first use).
    AIRFLOW_VAR_IAM_LIFECYCLE_APPROVAL_SECRET="test-approval-signing-key",
)
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from sandbox import strict_moto  # noqa: E402
from tests import helpers  # noqa: E402
from tests.helpers import set_connection  # noqa: E402

# Hold every test to AWS's DeleteUser rule and give moto service-specific credentials.
strict_moto.apply()


def _one_botocore_loader_per_process() -> None:
    """
    Every boto3 session parses botocore's model files afresh (endpoints.json alone is over 1 MB): under ``dag.test``,
    which makes a session per hook in this one process, that was a quarter of a whole DAG run. The files never change
    during the tests: sessions share one loader per data path, with the cache botocore keeps within a session.
    """
    import functools

    import botocore.session

    shared = functools.cache(botocore.session.create_loader)

    def _register_data_loader(session: botocore.session.Session) -> None:
        session._components.lazy_register_component(
            "data_loader", lambda: shared(session.get_config_variable("data_path"))
        )

    botocore.session.Session._register_data_loader = _register_data_loader


_one_botocore_loader_per_process()

pytest_plugins = ["tests.fixtures.e2e", "tests.fixtures.distributed"]


#: What every environment of the matrix (scripts/matrix.sh, ``pytest -m matrix``) runs: these folders whole, and the
#: whole DAG runs marked ``matrix`` (one offboarding of the everything-user, an approval answered both ways).
MATRIX_FOLDERS = ("tests/unit/", "tests/dags/", "tests/packaging/")


def pytest_collection_modifyitems(items):
    """The load suite (tests/distributed) runs last in its worker, after the other tests on the shared stack (see
    ``tests.fixtures.distributed.ON_THE_STACK``): by then the other worker's tests have mostly left the CPU to it."""
    for item in items:
        if item.nodeid.startswith(MATRIX_FOLDERS):
            item.add_marker(pytest.mark.matrix)
    items.sort(key=lambda item: item.nodeid.startswith("tests/distributed/"))


@pytest.fixture
def aws(monkeypatch):
    """An in-process moto account; the ``aws_default`` connection points at it (no endpoint: moto intercepts)."""
    set_connection(monkeypatch, "aws_default", "aws", extra={"region_name": "us-east-1"})
    with mock_aws():
        yield


@pytest.fixture
def iam(aws):
    """A plain boto3 IAM client on the moto account, for arranging and checking state."""
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def make_user(iam):
    """A back-dated user in the in-process moto account (see :func:`tests.helpers.make_user`)."""
    return partial(helpers.make_user, iam, helpers.set_dates_in_process)


@pytest.fixture
def iam_calls():
    """Every IAM API call made by any boto3 client created during the test, as operation names."""
    from botocore.handlers import BUILTIN_HANDLERS

    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    handler = ("before-call.iam", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)
