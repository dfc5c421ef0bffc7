"""
Every id, name and pattern a person types is matched whole, at the trigger.

Airflow validates a trigger's conf with the ``jsonschema`` library, whose ``pattern`` is Python's ``re.search``:
``^\\d{12}$`` accepts ``"123456789012\\n"`` (``$`` matches before a final newline) and ``\\d`` accepts any
Unicode digit. A value let through that way compares unequal to the real id later (an exclusion that excludes
nothing), so each one is refused by the API before a run exists.
"""

from __future__ import annotations

import re

import pytest

from tests.dags.test_trigger_params import api_validate, refused_at_the_trigger
from tests.helpers import project_dagbag

ACCOUNT = "123456789012"
ARABIC_DIGITS = "١٢٣٤٥٦٧٨٩٠١٢"  # \d matches them; AWS account ids are ASCII

#: (DAG, param, a value that is almost right): each must be refused, naming the param.
ALMOST_RIGHT = [
    (dag_id, name, value)
    for dag_id in ("iam_stale_user_reconciliation", "iam_user_offboarding_organization")
    for name, value in [
        ("exclude_account_ids", [f"{ACCOUNT}\n"]),
        ("exclude_account_ids", [ARABIC_DIGITS]),
        ("organizational_unit_ids", ["ou-abcd-abcdefgh\n"]),
        ("organizational_unit_ids", ["r-abcd\n"]),
        ("member_role_name", "IamLifecycleRole\n"),
        ("organization_conn_id", "aws_org\n"),
    ]
] + [
    ("iam_user_offboarding", "user_name", "alice\n"),
    ("iam_user_offboarding", "account_id", f"{ACCOUNT}\n"),
    ("iam_user_offboarding", "account_id", ARABIC_DIGITS),
    ("iam_user_offboarding", "member_role_name", "IamLifecycleRole\n"),
    ("iam_user_offboarding", "aws_conn_id", "aws_default\n"),
    ("iam_user_offboarding_organization", "user_name", "alice\n"),
    ("iam_stale_user_reconciliation", "aws_conn_ids", ["aws_default\n"]),
    ("iam_user_provisioning", "user_name", "new.hire\n"),
    ("iam_user_provisioning", "aws_conn_id", "aws_default\n"),
]
#: What each DAG's form needs besides the value under test.
REQUIRED = {
    "iam_user_offboarding": {"user_name": "alice"},
    "iam_user_offboarding_organization": {"user_name": "alice"},
    "iam_stale_user_reconciliation": {},
    "iam_user_provisioning": {},
}


@pytest.mark.parametrize(("dag_id", "name", "value"), ALMOST_RIGHT, ids=[f"{d}.{n}={v!r}" for d, n, v in ALMOST_RIGHT])
def test_a_value_with_a_trailing_newline_or_non_ascii_digits_is_refused_at_the_trigger(dag_id, name, value):
    dag = project_dagbag().dags[dag_id]

    with pytest.raises(refused_at_the_trigger(), match=re.escape(name)):
        api_validate(dag, REQUIRED[dag_id] | {name: value})


@pytest.mark.parametrize(
    ("dag_id", "conf"),
    [
        ("iam_user_offboarding_organization", {"user_name": "alice", "exclude_account_ids": [ACCOUNT]}),
        ("iam_user_offboarding_organization", {"user_name": "a", "organizational_unit_ids": ["ou-abcd-abcdefgh"]}),
        ("iam_stale_user_reconciliation", {"organization_conn_id": "aws_org", "organizational_unit_ids": ["r-ab12"]}),
        ("iam_user_offboarding", {"user_name": "alice", "account_id": ACCOUNT, "member_role_name": "Auditor"}),
        ("iam_user_offboarding", {"user_name": "alice", "account_id": ""}),
        ("iam_user_provisioning", {"user_name": ""}),
        ("iam_user_provisioning", {"user_name": "new.hire"}),
    ],
)
def test_the_right_values_are_still_accepted(dag_id, conf):
    assert api_validate(project_dagbag().dags[dag_id], conf)


def test_every_pattern_of_every_trigger_form_refuses_a_value_it_accepts_plus_a_newline():
    """No param's pattern is left as a plain ``^...$``: each value it accepts, plus a newline, is refused."""
    import jsonschema

    def patterns(schema: dict):
        if "pattern" in schema:
            yield schema["pattern"]
        if isinstance(schema.get("items"), dict):
            yield from patterns(schema["items"])

    samples = ["", "a", "alice", ACCOUNT, "r-abcd", "ou-abcd-abcdefgh"]
    checked = 0
    for dag_id, dag in project_dagbag().dags.items():
        for name in dag.params:
            for pattern in patterns(dag.params.get_param(name).schema):
                validator = jsonschema.Draft202012Validator({"type": "string", "pattern": pattern})
                accepted = [sample for sample in samples if validator.is_valid(sample)]
                assert accepted, (dag_id, name, pattern)
                for sample in accepted:
                    assert not validator.is_valid(f"{sample}\n"), (dag_id, name, pattern, sample)
                checked += 1
    assert checked >= 12
