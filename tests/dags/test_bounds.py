"""
Every list, object and number a trigger form takes is bounded: refused at the trigger, not met by the run.

Unbounded, ``groups`` of 10,000 names were 10,000 GetGroup calls, and ``approval_timeout`` 1e15 an overflow
error in the approval task after the run had begun.
"""

from __future__ import annotations

import pytest

from tests.dags.test_trigger_params import api_validate, refused_at_the_trigger
from tests.helpers import project_dagbag

DAG_IDS = [
    "iam_user_offboarding",
    "iam_user_offboarding_organization",
    "iam_stale_user_reconciliation",
    "iam_user_provisioning",
]
REQUIRED = {
    "iam_user_offboarding": {"user_name": "alice"},
    "iam_user_offboarding_organization": {"user_name": "alice"},
    "iam_stale_user_reconciliation": {},
    "iam_user_provisioning": {"user_name": "new.hire"},
}


def types_of(schema: dict) -> set[str]:
    kinds = schema.get("type", [])
    return {kinds} if isinstance(kinds, str) else set(kinds)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_list_object_and_number_param_has_a_bound(dag_id):
    params = project_dagbag().dags[dag_id].params
    for name in params:
        schema = params.get_param(name).schema
        kinds = types_of(schema)
        if "array" in kinds:
            assert schema.get("maxItems"), f"{dag_id}.{name} has no maxItems"
        if "object" in kinds:
            assert schema.get("maxProperties"), f"{dag_id}.{name} has no maxProperties"
        if kinds & {"integer", "number"}:
            assert schema.get("maximum") is not None, f"{dag_id}.{name} has no maximum"


#: (DAG, param, a value past its bound).
TOO_MUCH = [
    ("iam_user_provisioning", "groups", [f"group-{n}" for n in range(10_000)]),
    ("iam_user_provisioning", "managed_policy_arns", [f"arn:aws:iam::123456789012:policy/p{n}" for n in range(21)]),
    ("iam_user_provisioning", "tags", {f"k{n}": "v" for n in range(49)}),  # 50 at most, with the 2 marker tags
    ("iam_user_provisioning", "inline_policies", {f"p{n}": {} for n in range(100)}),
    ("iam_user_offboarding", "approval_timeout", 10**15),
    ("iam_user_offboarding_organization", "approval_timeout", 10**15),
    ("iam_stale_user_reconciliation", "approval_timeout", 10**15),
    ("iam_user_offboarding_organization", "exclude_account_ids", [f"{n:012}" for n in range(10_000)]),
    ("iam_user_offboarding_organization", "organizational_unit_ids", [f"ou-abcd-{n:08}" for n in range(10_000)]),
    ("iam_stale_user_reconciliation", "aws_conn_ids", [f"aws_{n}" for n in range(10_000)]),
    ("iam_stale_user_reconciliation", "max_users", 10**9),
    ("iam_stale_user_reconciliation", "max_idle_days", 10**9),
]


@pytest.mark.parametrize(("dag_id", "name", "value"), TOO_MUCH, ids=[f"{d}.{n}" for d, n, _ in TOO_MUCH])
def test_a_value_past_its_bound_is_refused_at_the_trigger_naming_the_param(dag_id, name, value):
    with pytest.raises(refused_at_the_trigger(), match=name):
        api_validate(project_dagbag().dags[dag_id], REQUIRED[dag_id] | {name: value})


@pytest.mark.parametrize(
    ("dag_id", "conf"),
    [
        ("iam_user_provisioning", {"groups": [f"g{n}" for n in range(10)], "tags": {f"k{n}": "v" for n in range(48)}}),
        ("iam_user_offboarding", {"approval_timeout": 7 * 86400}),
        ("iam_stale_user_reconciliation", {"max_users": 1000, "max_idle_days": 3650}),
    ],
)
def test_values_within_the_bounds_are_accepted(dag_id, conf):
    assert api_validate(project_dagbag().dags[dag_id], REQUIRED[dag_id] | conf)
