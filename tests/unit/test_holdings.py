"""The registry of holding kinds: every kind reaches the listing, the removal, the plan, the texts, the snapshot,
the restore, the sandbox's seed and the policies. A kind added to ``iam_lifecycle.holdings`` and forgotten in any
of them fails here, naming the kind."""

from __future__ import annotations

import datetime
import json

import pytest

from iam_lifecycle import holdings, snapshots
from iam_lifecycle.approval.pages import offboarding_request
from iam_lifecycle.aws.iam_hook import IamHook
from iam_lifecycle.messages.texts import dry_run_message, removed_summary, still_holds_message
from iam_lifecycle.offboarding import plan as offboarding
from iam_lifecycle.provisioning.spec import SPEC_KEYS, spec_from_snapshot
from sandbox.seed import EVERYTHING, NOTHING, ONE_OF_EACH, SEEDERS, seed_user
from tests.helpers import ROOT

KINDS = [pytest.param(kind, id=kind.name) for kind in holdings.KINDS]
CALLER = "arn:aws:sts::123456789012:user/moto"


def allowed(policy_file: str) -> set[str]:
    document = json.loads((ROOT / "policies" / policy_file).read_text())
    found: set[str] = set()
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow":
            actions = statement["Action"]
            found |= {actions} if isinstance(actions, str) else set(actions)
    return found


@pytest.fixture
def one_of_each(iam):
    """A user holding one item of every kind, as the offboarding lists it, beside a bystander holding the same."""
    seed_user(iam, "bob", ONE_OF_EACH)
    seed_user(iam, "alice", ONE_OF_EACH)
    return offboarding.list_holdings(IamHook(aws_conn_id="aws_default"), "alice")


def user(iam) -> dict:
    found = iam.get_user(UserName="alice")["User"]
    return {
        "UserName": "alice",
        "UserId": found["UserId"],
        "Arn": found["Arn"],
        "Path": "/",
        "CreateDate": found["CreateDate"].isoformat(),
        "Tags": {},
        "PermissionsBoundary": None,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_declared_once_and_its_hook_methods_exist(kind):
    assert holdings.BY_NAME[kind.name] is kind and len(holdings.BY_NAME) == len(holdings.KINDS)
    for method in (kind.lister, kind.remover, kind.reader):
        assert method is None or callable(getattr(IamHook, method, None)), f"IamHook has no {method}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_seed_and_is_in_every_shape(kind):
    assert kind.name in SEEDERS, f"sandbox.seed.SEEDERS cannot make a {kind.singular}"
    assert EVERYTHING[kind.name] and ONE_OF_EACH[kind.name] and not NOTHING[kind.name]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_listed_with_what_the_seed_made(kind, one_of_each):
    assert kind.items(one_of_each[kind.name], "alice"), f"the listing did not find the {kind.singular}"
    if kind.details:
        assert [d[kind.item_key] for d in one_of_each[kind.details]] == one_of_each[kind.name]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_removed_by_one_task_and_a_clean_up_leaves_nothing(kind, iam, one_of_each):
    removed_by = [kind.presence, kind.one_task_per_item, kind in holdings.REMOVED_ALONGSIDE]
    assert removed_by.count(True) == 1, f"{kind.name} is removed by {removed_by.count(True)} offboarding tasks"
    assert kind.name in offboarding.DEPENDENCY_KINDS
    hook = IamHook(aws_conn_id="aws_default")

    offboarding.remove_all(hook, "alice", one_of_each)

    assert not kind.items(offboarding.list_holdings(hook, "alice")[kind.name], "alice")
    assert kind.items(offboarding.list_holdings(hook, "bob")[kind.name], "bob"), "the bystander lost it"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_in_the_plan_and_every_text_a_person_reads(kind, one_of_each):
    plan = holdings.plan_of(one_of_each)
    count = kind.count(plan[kind.name])

    assert f"- {kind.label}: {kind.shown(plan[kind.name])}" in dry_run_message("alice", CALLER, plan).splitlines()
    assert kind.counted(count) in removed_summary(plan)
    assert kind.counted(count) in still_holds_message("alice", one_of_each) or kind.presence
    page = offboarding_request({"user_name": "alice"}, CALLER, plan, required=True)["body"]
    assert f"| {kind.label} | " in page


def snapshot_of(iam, held: dict) -> dict:
    hook = IamHook(aws_conn_id="aws_default")
    documents = {name: hook.get_user_policy_document("alice", name) for name in held["inline_policies"]}
    now = datetime.datetime.now(datetime.UTC)
    return snapshots.build_snapshot(user(iam), held, documents, run_id="r", caller_arn=CALLER, reason="", taken_at=now)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_in_the_snapshot_and_read_back_from_it(kind, iam, one_of_each):
    snapshot = snapshot_of(iam, one_of_each)

    assert snapshot[kind.name], f"the snapshot does not record the {kind.singular}"
    assert snapshots.items_of(snapshot)[kind.name] == kind.items(one_of_each[kind.name], "alice")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_restored_or_declared_never_restored(kind, iam, one_of_each):
    snapshot = snapshot_of(iam, one_of_each)

    spec = spec_from_snapshot(snapshot)

    if kind.restored_as is None:
        assert kind.name not in spec  # a credential: the person gets a new one
    else:
        assert kind.restored_as in SPEC_KEYS and spec[kind.restored_as] == snapshot[kind.name]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kinds_iam_actions_are_in_the_policies(kind):
    assert kind.list_actions and kind.remove_actions
    assert set(kind.list_actions) <= allowed("offboarding.json"), "offboarding.json cannot list it"
    assert set(kind.list_actions) <= allowed("reconciliation.json"), "reconciliation.json cannot snapshot it"
    assert set(kind.remove_actions) <= allowed("offboarding.json"), "offboarding.json cannot remove it"
    assert set(kind.restore_actions) <= allowed("provisioning.json"), "provisioning.json cannot restore it"
    assert bool(kind.restore_actions) == bool(kind.restored_as)
