"""Every DAG file imports cleanly and carries what operators of the project rely on."""

from __future__ import annotations

import re

import pytest

from tests.helpers import project_dagbag


@pytest.fixture(scope="module")
def dagbag():
    return project_dagbag()


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.dags


def test_every_dag_has_tags_docs_owner_and_retries(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md, dag_id
        for task in dag.tasks:
            assert task.doc_md, f"{dag_id}.{task.task_id} has no doc_md"
            assert task.retries >= 1, f"{dag_id}.{task.task_id} has no retries"
            assert task.owner != "airflow", f"{dag_id}.{task.task_id} has the default owner"


#: Sphinx markup that Markdown shows raw: a role (:func:`x`) or a field (":param name:", ":return:", ":raises X:").
SPHINX_MARKUP = re.compile(r":\w+(?::\w+)?:`|^\s*:\w+(?:\s+[^:\n]+)?:(?:\s|$)", re.MULTILINE)


def test_task_docs_are_markdown_without_sphinx_markup(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            markup = SPHINX_MARKUP.findall(task.doc_md or "")
            assert not markup, f"{dag_id}.{task.task_id} doc_md shows Sphinx markup {markup}: {task.doc_md}"


def test_every_trigger_form_field_has_a_title_and_description(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for name in dag.params:
            param = dag.params.get_param(name)
            assert param.schema.get("title"), f"{dag_id}.{name} has no title"
            assert param.description, f"{dag_id}.{name} has no description"


def test_offboarding_params(dagbag):
    params = dagbag.dags["iam_user_offboarding"].params
    assert params.get_param("user_name").schema["pattern"] == r"^(?:[A-Za-z0-9_+=,.@-]{1,64})$(?!\n)"
    assert params["reason"] == ""


def test_detach_is_mapped_and_labelled_with_the_policy_arn(dagbag):
    detach = dagbag.dags["iam_user_offboarding"].get_task("detach_user_policy")
    assert detach.map_index_template == "{{ task.policy_arn }}"


def test_removals_are_mapped_over_the_kinds_held_and_labelled_with_the_kind(dagbag):
    removals = dagbag.dags["iam_user_offboarding"].get_task("remove_user_items")
    assert removals.map_index_template == "{{ task.kind }}"
    assert {"deactivate_access_keys", "delete_login_profile"} <= removals.upstream_task_ids


@pytest.mark.parametrize(
    ("dag_id", "task_id"),
    [
        ("iam_stale_user_reconciliation", "offboard_stale_user"),
        ("iam_user_offboarding_organization", "offboard_in_account"),
    ],
)
def test_a_retried_trigger_finds_its_own_offboarding_run_instead_of_starting_another(dagbag, dag_id, task_id):
    """The triggered run's id names the user (and the member account) and depends only on the triggering run and
    the mapped instance, never on the try."""
    import types

    import jinja2

    trigger = dagbag.dags[dag_id].get_task(task_id)
    template = jinja2.Template(trigger.partial_kwargs["trigger_run_id"])
    task = types.SimpleNamespace(conf={"user_name": "first.last@example.com", "account_id": "222222222222"})
    run_id = lambda map_index: template.render(  # noqa: E731
        run_id="manual__1", task=task, ti={"map_index": map_index, "try_number": map_index + 1}
    )

    assert run_id(3) == "manual__1__offboard_first.last-at-example.com_in_222222222222_3"
    assert run_id(4) == "manual__1__offboard_first.last-at-example.com_in_222222222222_4"
    assert trigger.partial_kwargs["skip_when_already_exists"] is True
