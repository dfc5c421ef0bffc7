"""The history the page lists, built from plain run records and store summaries: what each entry says ended."""

from __future__ import annotations

from iam_lifecycle.ui.history import Run, build_entries, matching, page_of, still_held, with_outcomes

ACCOUNT = "123456789012"


def run(run_id: str, dag_id: str = "iam_user_offboarding", state: str = "success", **conf) -> Run:
    return Run(dag_id, run_id, state, f"2026-12-01T10:{run_id[-2:]}:00+00:00", conf, triggering_user_name="operator")


def snapshot(run_id: str, user: str, **fields) -> dict:
    uri = f"file:///store/{ACCOUNT}/{user}/{run_id}.json"
    return {"uri": uri, "run_id": run_id, "user_name": user, "account": ACCOUNT, "approved_by": None,
            "requested_by": None, "reason": ""} | fields  # fmt: skip


def outcomes(runs, snapshots=(), reports=(), answers=None, states=None) -> dict[tuple[str, str], tuple]:
    entries = build_entries(runs, snapshots, reports)
    confs = {r.run_id: r.conf for r in runs}
    done = with_outcomes(entries, confs, answers or {}, states or {})
    return {(e.run_id, e.user_name): (e.action, e.outcome, e.approved_by) for e in done}


def test_each_offboarding_says_how_it_ended():
    runs = [
        run("r01", user_name="deleted.user"),
        run("r02", user_name="dry.user", dry_run=True),
        run("r03", user_name="rejected.user"),
        run("r04", user_name="ignored.user"),
        run("r05", state="failed", user_name="failed.user"),
        run("r06", state="running", user_name="waiting.user"),
    ]
    answers = {
        "r01": {"approved": True, "by": "admin", "timed_out": False},
        "r03": {"approved": False, "by": "admin", "timed_out": False},
        "r04": {"approved": False, "by": None, "timed_out": True},
    }
    states = {"r01": {"delete_user": "success"}, "r06": {"approve_changes": "deferred"}}

    assert outcomes(runs, [snapshot("r01", "deleted.user")], answers=answers, states=states) == {
        ("r01", "deleted.user"): ("offboarding", "deleted", "admin"),
        ("r02", "dry.user"): ("offboarding", "dry run", None),
        ("r03", "rejected.user"): ("offboarding", "rejected", None),
        ("r04", "ignored.user"): ("offboarding", "timed out", None),
        ("r05", "failed.user"): ("offboarding", "failed", None),
        ("r06", "waiting.user"): ("offboarding", "waiting for approval", None),
    }


def test_a_run_that_succeeded_without_deleting_does_not_say_deleted():
    # e.g. an approval task marked success by hand: every changing task refused, so delete_user was skipped
    assert outcomes([run("r01", user_name="alice")], states={"r01": {"delete_user": "skipped"}}) == {
        ("r01", "alice"): ("offboarding", "nothing changed", None)
    }


def test_a_triggered_offboarding_names_the_requester_its_snapshot_records():
    child = Run("iam_user_offboarding", "scheduled__x__offboard_bob_0", "success", "2026-12-01T10:00:00+00:00",
                {"user_name": "bob"}, run_type="manual")  # fmt: skip
    [entry] = build_entries([child], [snapshot(child.run_id, "bob", requested_by="the schedule")], [])

    assert (entry.requested_by, entry.account, entry.snapshot) == (
        "the schedule",
        ACCOUNT,
        f"file:///store/{ACCOUNT}/bob/{child.run_id}.json",
    )


def test_a_reconciliation_is_one_entry_per_user_it_disables_or_revokes():
    reconciliation = run("r07", dag_id="iam_stale_user_reconciliation", mode="disable")
    report = {"run_id": "r07", "account": ACCOUNT, "requested_by": "the schedule",
              "actions": [["stale.user", "disable"], ["exempt.user", "none"], ["idle.keys", "revoke"]]}  # fmt: skip

    assert outcomes([reconciliation], [snapshot("r07", "stale.user")], [report]) == {
        ("r07", "stale.user"): ("disable", "disabled", None),
        ("r07", "idle.keys"): ("revoke", "revoked", None),
    }


def test_a_restore_names_the_user_and_account_of_its_snapshot():
    source = f"file:///store/{ACCOUNT}/alice/20261201T100005.000000Z.json"
    restore = run("r08", dag_id="iam_user_provisioning", snapshot=source)

    [entry] = with_outcomes(build_entries([restore], [], []), {}, {}, {"r08": {"create_user": "success"}})

    assert (entry.action, entry.user_name, entry.account, entry.outcome) == ("restore", "alice", ACCOUNT, "restored")
    assert entry.snapshot == source


def test_entries_are_newest_first_filtered_by_user_and_account_and_paged():
    entries = build_entries([run(f"r{n:02}", user_name=f"user{n % 3}", account_id=ACCOUNT) for n in range(10)], [], [])

    assert [e.run_id for e in entries][:3] == ["r09", "r08", "r07"]
    assert {e.user_name for e in matching(entries, user="USER1")} == {"user1"}
    assert matching(entries, account="999999999999") == []
    shown, pages = page_of(matching(entries), page=2, size=4)
    assert ([e.run_id for e in shown], pages) == (["r05", "r04", "r03", "r02"], 3)


def test_five_thousand_runs_are_listed_filtered_and_paged():
    # From the run records and the store's index alone: nothing is read per run but for the page shown.
    runs = [run(f"manual__{n:05}", user_name=f"user{n}") for n in range(5000)]
    snapshots = [snapshot(r.run_id, r.conf["user_name"]) for r in runs]

    shown, pages = page_of(matching(build_entries(runs, snapshots, []), user="user4"), page=1, size=50)

    assert (len(shown), pages) == (50, 23)
    assert all(e.user_name.startswith("user4") for e in shown)


def test_a_failed_offboarding_says_which_task_failed_and_what_the_user_still_holds():
    recorded = {"login_profile": ["alice"], "groups": ["dev", "ops"], "access_keys": ["AKIA1"]}
    results = [
        {"removed": ["alice"], "already_gone": []},  # delete_login_profile
        {"removed": ["dev"], "already_gone": ["ops"]},  # remove_user_items: groups
        {"removed": [], "already_gone": []},  # remove_user_items: access keys, which failed part way
    ]
    held = still_held(recorded, results)
    [entry] = build_entries([run("r01", state="failed", user_name="alice")], [snapshot("r01", "alice")], [])

    [failed] = with_outcomes([entry], {}, {}, {"r01": {"remove_user_items": "failed"}}, {"r01": held})

    assert held == {"access_keys": ["AKIA1"]}
    assert failed.outcome == "failed"
    assert failed.detail == "remove_user_items failed; alice still holds 1 access key (its Slack alert says more)"
