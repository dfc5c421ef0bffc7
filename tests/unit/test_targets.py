"""Which accounts a run acts in, refused with one line when the params cannot say (in-process moto Organizations).

The trigger form refuses these values too (tests/dags/test_whole_values.py); these tests hold the tasks to the same
rule, for a conf that reaches them another way (a DAG that triggers another, a Param schema changed later).
"""

from __future__ import annotations

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException
from botocore.handlers import BUILTIN_HANDLERS

from iam_lifecycle.accounts import targets
from tests.helpers import set_connection

MANAGEMENT = "123456789012"


@pytest.fixture
def orgs(aws, monkeypatch):
    """An organization (moto's default account is its management account) and the connection ``aws_org`` into it."""
    set_connection(monkeypatch, "aws_org", "aws", extra={"region_name": "us-east-1"})
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture
def organizations_calls():
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    handler = ("before-call.organizations", record)
    BUILTIN_HANDLERS.append(handler)
    yield calls
    BUILTIN_HANDLERS.remove(handler)


def new_account(orgs, name: str, parent: str | None = None) -> str:
    account_id = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
    if parent:
        root = orgs.list_roots()["Roots"][0]["Id"]
        orgs.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
    return account_id


def new_unit(orgs, name: str, parent: str | None = None) -> str:
    parent = parent or orgs.list_roots()["Roots"][0]["Id"]
    return orgs.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]


def ids(found: list[dict]) -> list[str]:
    return [target["account_id"] for target in found]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"exclude_account_ids": ["{prod}\n"]},
            "exclude_account_ids: '{prod}\\n' is not a 12-digit AWS account id; nothing was changed.",
        ),
        (
            {"exclude_account_ids": ["١٢٣٤٥٦٧٨٩٠١٢"]},
            "exclude_account_ids: '١٢٣٤٥٦٧٨٩٠١٢' is not a 12-digit AWS account id; nothing was changed.",
        ),
        (
            {"organizational_unit_ids": ["ou-abcd-abcdefgh\n"]},
            "organizational_unit_ids: 'ou-abcd-abcdefgh\\n' is not an organizational unit id (ou-…) nor a root "
            "id (r-…); nothing was changed.",
        ),
    ],
)
def test_an_almost_right_account_or_unit_id_is_refused_before_any_call(orgs, organizations_calls, params, reason):
    """``"<id>\\n"`` once excluded nothing: the person was deleted in the account meant to be left out."""
    prod = new_account(orgs, "prod")
    params = {key: [value.format(prod=prod) for value in values] for key, values in params.items()}
    organizations_calls.clear()

    for list_accounts in (
        lambda: targets.organization_targets("aws_org", **params),
        lambda: targets.list_targets({"organization_conn_id": "aws_org", "aws_conn_ids": ["aws_default"]} | params),
    ):
        with pytest.raises(AirflowFailException) as raised:
            list_accounts()
        assert str(raised.value) == reason.format(prod=prod)
    assert organizations_calls == []


def test_an_excluded_account_is_left_out_by_its_exact_id(orgs):
    prod = new_account(orgs, "prod")

    found = targets.organization_targets("aws_org", exclude_account_ids=[prod])

    assert [target["account_id"] for target in found] == [MANAGEMENT]


def test_an_organizational_unit_that_does_not_exist_is_refused_with_one_line(orgs):
    new_unit(orgs, "workloads")

    with pytest.raises(AirflowFailException) as raised:
        targets.organization_targets("aws_org", organizational_unit_ids=["ou-abcd-abcdefgh"])

    assert str(raised.value) == (
        "organizational unit or root ou-abcd-abcdefgh does not exist in the organization of aws_org; "
        "nothing was changed."
    )


@pytest.mark.parametrize("leave_out", ["every account excluded", "an empty unit"])
def test_an_empty_set_of_accounts_is_refused_with_one_line_not_a_nonetype_error(orgs, leave_out):
    """Once ``list_accounts`` returned [], every task after it met a skipped XCom: 'NoneType' … not subscriptable."""
    prod = new_account(orgs, "prod")
    if leave_out == "an empty unit":
        params = {"organizational_unit_ids": [new_unit(orgs, "empty")]}
        reason = "no ACTIVE account of the organization of aws_org is under the organizational units"
    else:
        params = {"exclude_account_ids": [MANAGEMENT, prod]}
        reason = "no ACTIVE account of the organization of aws_org is left once exclude_account_ids are left out"

    for list_accounts in (
        lambda: targets.organization_targets("aws_org", **params),
        lambda: targets.list_targets({"organization_conn_id": "aws_org", "aws_conn_ids": ["aws_default"]} | params),
    ):
        with pytest.raises(AirflowFailException) as raised:
            list_accounts()
        assert str(raised.value).startswith(reason) and str(raised.value).endswith("; nothing was changed.")
        assert "\n" not in str(raised.value)


# ---- which accounts ------------------------------------------------------------------------------------------


def test_the_active_accounts_minus_the_excluded_each_reached_through_the_member_role(orgs):
    dev, prod, closed = (new_account(orgs, name) for name in ("dev", "prod", "closed"))
    orgs.close_account(AccountId=closed)

    found = targets.organization_targets("aws_org", "Auditor", exclude_account_ids=[prod])

    assert found == sorted(
        [
            {
                "aws_conn_id": "aws_org",
                "account_id": MANAGEMENT,
                "account_name": "master",
                "member_role_name": "Auditor",
            },
            {"aws_conn_id": "aws_org", "account_id": dev, "account_name": "dev", "member_role_name": "Auditor"},
        ],
        key=lambda target: target["account_id"],
    )
    # No role name (an emptied form field): the default role.
    assert {t["member_role_name"] for t in targets.organization_targets("aws_org", None)} == {"IamLifecycleRole"}


def test_every_page_of_accounts_is_read(orgs, organizations_calls):
    created = {new_account(orgs, f"a{n:03}") for n in range(104)}  # 105 with the management account; pages of 100

    found = targets.organization_targets("aws_org")

    assert set(ids(found)) == created | {MANAGEMENT} and len(found) == 105
    assert organizations_calls == ["ListAccounts", "ListAccounts"]


def test_organizational_units_are_read_to_any_depth_and_only_theirs(orgs, organizations_calls):
    workloads = new_unit(orgs, "workloads")
    nested = new_unit(orgs, "prod", parent=workloads)
    deeper = new_unit(orgs, "eu", parent=nested)
    elsewhere = new_unit(orgs, "sandbox")
    in_workloads = new_account(orgs, "shared", workloads)
    in_deeper = new_account(orgs, "eu-prod", deeper)
    many = {new_account(orgs, f"p{n:02}", nested) for n in range(22)}  # ListAccountsForParent pages of 20
    new_account(orgs, "play", elsewhere)
    new_account(orgs, "at-root")

    found = targets.organization_targets(
        "aws_org", exclude_account_ids=[in_workloads], organizational_unit_ids=[workloads]
    )

    assert set(ids(found)) == many | {in_deeper}
    assert organizations_calls.count("ListAccounts") == 0
    assert organizations_calls.count("ListOrganizationalUnitsForParent") == 3  # workloads, prod, eu
    assert organizations_calls.count("ListAccountsForParent") == 4  # prod's 22 accounts take two pages


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"organization_conn_id": "aws_org", "aws_conn_ids": ["aws_prod", "aws_dev"]},
            "give organization_conn_id (aws_org: every account of the organization) or aws_conn_ids "
            "(aws_prod, aws_dev: one connection per account), not both; nothing was changed.",
        ),
        (
            {"organization_conn_id": None, "aws_conn_ids": ["aws_default"], "exclude_account_ids": ["111111111111"]},
            "exclude_account_ids and organizational_unit_ids need organization_conn_id; nothing was changed.",
        ),
    ],
)
def test_ambiguous_params_are_refused_with_one_line(params, reason):
    with pytest.raises(AirflowFailException) as raised:
        targets.list_targets(params)

    assert str(raised.value) == reason


def test_the_default_connections_beside_an_organization_mean_the_organization(orgs):
    assert ids(targets.list_targets({"organization_conn_id": "aws_org", "aws_conn_ids": ["aws_default"]})) == [
        MANAGEMENT
    ]
    assert targets.list_targets({"organization_conn_id": None, "aws_conn_ids": ["aws_a", "aws_b", "aws_a"]}) == [
        targets.connection_target("aws_a"),
        targets.connection_target("aws_b"),
    ]


def test_targets_are_labelled_with_their_account_and_name_or_their_connection():
    member = targets.member_target("aws_org", {"Id": "111111111111", "Name": "prod"}, None)

    assert targets.target_label(member) == "111111111111 prod"
    assert targets.target_label(targets.connection_target("aws_prod")) == "aws_prod"
