"""make bench times the offboarding DAG against a no-op twin generated from its graph: the twin must follow it."""

from __future__ import annotations

from benchmarks.noop_dag import describe_dag, map_lengths
from benchmarks.offboarding import LATENCY_SHAPE, SHAPES


def test_the_no_op_twin_knows_what_each_mapped_task_is_mapped_over_and_how_many():
    graph = {task["task_id"]: task for task in describe_dag()}

    sources = {task["mapped_over"] for task in graph.values() if task["mapped_over"]}
    assert graph["detach_user_policy"]["mapped_over"] == "policies_to_detach"
    assert graph["remove_user_items"]["mapped_over"] == "removals"
    assert set(map_lengths(SHAPES[LATENCY_SHAPE])) == sources
