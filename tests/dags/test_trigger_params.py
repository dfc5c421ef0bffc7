"""
Optional trigger params are optional in the UI's trigger form.

Airflow 3.3's form sends a text, number, array or object field that a person emptied as ``null`` (and marks a
field required unless its schema type admits ``null``). The API validates a trigger's conf as
``SerializedDAG.params.deep_merge(conf).validate()`` (``create_dagrun``); a task sees
``process_params(dag, task, conf)``. Both are run here, on conf in which every optional field is null.
"""

from __future__ import annotations

import copy

import pytest

from iam_lifecycle.provisioning.spec import SPEC_KEYS, resolve_spec
from tests.helpers import project_dagbag

#: Per DAG, the params a person may leave empty. The others have a default the form fills in, or are required.
OPTIONAL = {
    "iam_user_offboarding": {"reason", "account_id", "member_role_name", "require_approval"},
    "iam_user_provisioning": {
        "snapshot",
        "user_name",
        "path",
        "tags",
        "permissions_boundary",
        "groups",
        "managed_policy_arns",
        "inline_policies",
        "identity_center_snapshot",
        "account_id",
        "member_role_name",
    },
    "iam_stale_user_reconciliation": {
        "organization_conn_id",
        "member_role_name",
        "exclude_account_ids",
        "organizational_unit_ids",
    },
    "iam_user_offboarding_organization": {
        "reason",
        "member_role_name",
        "exclude_account_ids",
        "organizational_unit_ids",
        "identity_center",
        "identity_center_user_name",
    },
}
#: What each DAG's form needs besides its optional fields.
REQUIRED = {
    "iam_user_offboarding": {"user_name": "alice"},
    "iam_user_provisioning": {},
    "iam_stale_user_reconciliation": {},
    "iam_user_offboarding_organization": {"user_name": "alice"},
}


@pytest.fixture(scope="module")
def dags():
    return {dag_id: project_dagbag().dags[dag_id] for dag_id in OPTIONAL}


def refused_at_the_trigger() -> tuple[type[Exception], ...]:
    """
    What :func:`api_validate` raises for a conf that breaks a param, which the API server answers with a 400 naming
    it: ``ParamValidationError`` on Airflow 3.1 and 3.3 (a ``ValueError`` there), ``ValueError`` on 3.2.
    """
    from airflow.sdk.exceptions import ParamValidationError

    return ParamValidationError, ValueError


def api_validate(dag, conf: dict) -> dict:
    """What ``POST /api/v2/dags/{dag_id}/dagRuns`` does with the conf, on the DAG as the API server holds it."""
    try:
        from airflow.serialization.serialized_objects import DagSerialization
    except ImportError:  # Airflow 3.1 names it SerializedDAG
        from airflow.serialization.serialized_objects import SerializedDAG as DagSerialization

    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    if not hasattr(serialized.params, "deep_merge"):  # Airflow 3.1's create_dagrun: a deep copy updated with the conf
        params = copy.deepcopy(serialized.params)
        params.update(conf)
        return params.validate()
    return serialized.params.deep_merge(conf).validate()


def task_params(dag, conf: dict) -> dict:
    """``params`` as a task of the run sees them."""
    from airflow.sdk.definitions.param import process_params

    return process_params(dag, dag.tasks[0], conf, suppress_exception=False)


def emptied_form(dag_id: str, dag) -> dict:
    """The conf the form sends with every optional field emptied: every param, the optional ones null."""
    return dag.params.dump() | REQUIRED[dag_id] | dict.fromkeys(OPTIONAL[dag_id])


@pytest.mark.parametrize("dag_id", OPTIONAL)
def test_exactly_the_optional_params_admit_null(dags, dag_id):
    params = dags[dag_id].params
    admit_null = {name for name in params if "null" in params.get_param(name).schema.get("type", [])}
    assert admit_null == OPTIONAL[dag_id]


@pytest.mark.parametrize("dag_id", OPTIONAL)
def test_a_form_with_every_optional_field_emptied_is_accepted_by_the_api_and_the_tasks(dags, dag_id):
    conf = emptied_form(dag_id, dags[dag_id])
    for validated in (api_validate(dags[dag_id], conf), task_params(dags[dag_id], conf)):
        assert {name: validated[name] for name in OPTIONAL[dag_id]} == dict.fromkeys(OPTIONAL[dag_id])


def test_patterns_still_apply_to_strings(dags):
    with pytest.raises(refused_at_the_trigger()):
        api_validate(dags["iam_user_provisioning"], {"user_name": "arn:aws:iam::123456789012:user/alice"})


@pytest.mark.parametrize("conf", [{}, {"user_name": None}, {"user_name": ""}])
def test_offboarding_user_name_stays_required(dags, conf):
    with pytest.raises(refused_at_the_trigger()):
        api_validate(dags["iam_user_offboarding"], {"reason": "JIRA-1"} | conf)


PLAN = {
    "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    "inline_policies": [],
    "groups": ["developers"],
    "access_keys": [],
    "ssh_public_keys": [],
    "signing_certificates": [],
    "service_specific_credentials": [],
    "mfa_devices": [],
    "login_profile": True,
}


def test_an_emptied_reason_gives_slack_texts_without_a_reason_line(dags):
    dag = dags["iam_user_offboarding"]
    params = task_params(dag, emptied_form("iam_user_offboarding", dag))
    caller = "arn:aws:iam::123456789012:user/ops"
    outcome = {"deleted": True, "confirmed_by_retry": False, "gone_before": False, "leftovers": {}, "addenda": []}

    # The DAG's own tasks, called as a run calls them.
    planned = dag.get_task("describe_plan").python_callable(params=params, caller_arn=caller, plan=PLAN)
    deleted = dag.get_task("compose_message").python_callable(
        params=params,
        caller_arn=caller,
        outcome=outcome,
        plan=PLAN,
        snapshot={"uri": "file:///snapshots/a.json", "earlier": []},
        login_profile={"removed": ["alice"], "already_gone": []},
        detached=[{"removed": PLAN["managed_policies"], "already_gone": []}],
        kinds=[{"kind": "groups", "items": PLAN["groups"]}],
        removed=[{"removed": PLAN["groups"], "already_gone": []}],
    )

    assert deleted.splitlines() == [
        "IAM user alice deleted by arn:aws:iam::123456789012:user/ops",
        "Removed: 1 managed policy, 1 group membership, 1 login profile",
        "Snapshot: file:///snapshots/a.json",
    ]
    assert (
        planned.splitlines()[0]
        == "DRY RUN: offboarding IAM user alice as arn:aws:iam::123456789012:user/ops would remove:"
    )
    assert planned.splitlines()[-1] == "Nothing was changed."
    assert "Reason" not in planned and "None" not in planned


def test_an_emptied_provisioning_spec_means_the_defaults(dags):
    dag = dags["iam_user_provisioning"]
    params = task_params(dag, emptied_form("iam_user_provisioning", dag) | {"user_name": "new.hire"})

    spec = resolve_spec(params, run_id="manual__1")

    assert {key: spec[key] for key in ("action", "source", "user_name", *SPEC_KEYS, "console_access")} == {
        "action": "created",
        "source": "params",
        "user_name": "new.hire",
        "path": "/",
        "tags": {},
        "permissions_boundary": None,
        "groups": [],
        "managed_policy_arns": [],
        "inline_policies": {},
        "console_access": False,
    }


#: Names a person might type that IAM could never accept: refused by the trigger form and the API, before a run.
BAD_USER_NAMES = [
    "",
    "a" * 65,
    "alice smith",
    "staff/alice",
    "*",
    "{{ params.reason }}",
    "josé",
    "alice;rm -rf /",
    "$(whoami)",
    "arn:aws:iam::123456789012:user/alice",
]


@pytest.mark.parametrize("user_name", BAD_USER_NAMES, ids=[repr(name)[:24] for name in BAD_USER_NAMES])
def test_a_user_name_iam_could_never_accept_is_refused_at_the_trigger(dags, user_name):
    with pytest.raises(refused_at_the_trigger(), match="user_name"):
        api_validate(dags["iam_user_offboarding"], {"user_name": user_name})
