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
    assert params.get_param("user_name").schema["pattern"] == r"^[A-Za-z0-9_+=,.@-]{1,64}$"
    assert params["reason"] == ""


def test_detach_is_mapped_and_labelled_with_the_policy_arn(dagbag):
    detach = dagbag.dags["iam_user_offboarding"].get_task("detach_user_policy")
    assert detach.map_index_template == "{{ task.policy_arn }}"
