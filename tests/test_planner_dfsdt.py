"""DFSDT conformance (ToolBench's 15 recorded ChatGPT trees replayed) and oracle tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.config import PlannerConfig
from planner.dfsdt import previous_candidates, run_dfsdt
from planner.prompting import Task
from planner.replay import ReplayExecutor, ReplayModel
from planner.search import BudgetExhausted, Search
from toolbench.formats.toolbench_answer import read_answer_file
from toolbench.types import FinishReason, Message, SearchTree

ANSWERS = Path("toolbench") / "data_example" / "answer"
TREES = [f"G1_answer/{q}" for q in (10, 11, 57, 59, 69)] + [f"G2_answer/{q}" for q in (10, 52, 102, 119, 127)] + [
    f"G3_answer/{q}" for q in (3, 8, 13, 15, 21)]
# made by an earlier ToolBench revision in which a depth dead end went back two levels
OLDER_REVISION = {"G1_answer/57", "G1_answer/69", "G3_answer/8"}


def shape(tree: SearchTree) -> dict[tuple[int, ...], tuple]:
    """Node position (child indices from the root) → (visit order, thought, calls)."""
    kids: dict[int, list[int]] = {}
    for node in tree.nodes:
        if node.parent is not None:
            kids.setdefault(node.parent, []).append(node.id)
    by_id = {n.id: n for n in tree.nodes}
    out: dict[tuple[int, ...], tuple] = {}

    def walk(node_id: int, path: tuple[int, ...]) -> None:
        node = by_id[node_id]
        calls = tuple(c.name for c in node.message.tool_calls) if node.message else ()
        content = node.message.content if node.message else None
        out[path] = (node.expand_order, content, calls)
        for k, child in enumerate(kids.get(node_id, [])):
            walk(child, path + (k,))

    walk(0, ())
    return out


def replay(recorded, **options) -> Search:
    model = ReplayModel(recorded.tree)
    task = Task((Message("system", "s"), Message("user", "u")), tuple(recorded.tools), "toolbench")
    config = PlannerConfig(max_actions=0, toolbench_depth=12, **options)
    search = Search(task, model, ReplayExecutor(model), config)
    run_dfsdt(search)
    return search


@pytest.mark.parametrize("name", TREES)
def test_replayed_chatgpt_tree_is_searched_identically(shared_data, name):
    recorded = read_answer_file(shared_data / ANSWERS / f"{name}_ChatGPT_DFS_woFilter_w2.json")
    search = replay(recorded, dead_end_backtrack=2 if name in OLDER_REVISION else 1)
    ours = search.tree()
    assert shape(ours) == shape(recorded.tree)  # same nodes, same visit order
    assert search.usage.llm_calls == recorded.usage.llm_calls
    last = max(ours.nodes, key=lambda n: n.expand_order)
    expected_last = max(recorded.tree.nodes, key=lambda n: n.expand_order)
    assert shape(ours)[_path(ours, last.id)] == shape(recorded.tree)[_path(recorded.tree, expected_last.id)]
    result = search.result(recorded.query_id, recorded.query, "dfsdt", [])
    if name in OLDER_REVISION and recorded.finish_reason == FinishReason.NO_FINISH:
        # that revision did not report give-up paths (G1 69 gave up twice, recorded no answer)
        assert result.finish_reason in (FinishReason.NO_FINISH, FinishReason.GIVE_UP)
    else:
        assert result.finish_reason == recorded.finish_reason
    if recorded.finish_reason == FinishReason.GIVE_ANSWER:
        assert result.final_answer == recorded.final_answer


@pytest.mark.parametrize("name", TREES)
def test_written_toolbench_tree_equals_the_recorded_one(shared_data, name):
    """Our answer-file writer reproduces ToolBench's node fields for the replayed search."""
    import json

    from toolbench.formats.toolbench_answer import trajectory_to_answer

    path = shared_data / ANSWERS / f"{name}_ChatGPT_DFS_woFilter_w2.json"
    recorded = read_answer_file(path)
    search = replay(recorded, dead_end_backtrack=2 if name in OLDER_REVISION else 1)
    ours = trajectory_to_answer(search.result(recorded.query_id, recorded.query, "dfsdt", []))["tree"]["tree"]
    expected = json.loads(path.read_text())["tree"]["tree"]
    keys = ("node_type", "depth", "expand_num", "pruned", "finished", "observation", "observation_code",
            "child_count")

    def compare(a, b):
        assert {k: a.get(k) for k in keys} == {k: b.get(k) for k in keys}
        if a["node_type"] == "Action":
            assert a["description"] == b["description"]
        for x, y in zip(a["children"], b["children"], strict=True):
            compare(x, y)

    compare(ours, expected)


def _path(tree: SearchTree, node_id: int) -> tuple[int, ...]:
    by_id = {n.id: n for n in tree.nodes}
    path: list[int] = []
    node = by_id[node_id]
    while node.parent is not None:
        siblings = [n.id for n in tree.nodes if n.parent == node.parent]
        path.append(siblings.index(node.id))
        node = by_id[node.parent]
    return tuple(reversed(path))


def test_older_revision_trees_differ_under_current_rule(shared_data):
    """The setting is what separates the two groups (so the table above is not arbitrary)."""
    from planner.replay import ReplayDivergence

    recorded = read_answer_file(shared_data / ANSWERS / "G1_answer/57_ChatGPT_DFS_woFilter_w2.json")
    with pytest.raises(ReplayDivergence):
        replay(recorded, dead_end_backtrack=1)
    recorded = read_answer_file(shared_data / ANSWERS / "G2_answer/52_ChatGPT_DFS_woFilter_w2.json")
    assert shape(replay(recorded, dead_end_backtrack=2).tree()) != shape(recorded.tree)


def test_budget_stops_the_search(shared_data):
    recorded = read_answer_file(shared_data / ANSWERS / "G3_answer/13_ChatGPT_DFS_woFilter_w2.json")
    with pytest.raises(BudgetExhausted):
        replay(recorded, max_llm_calls=10)


def test_diversity_candidates_follow_first_branch(shared_data):
    recorded = read_answer_file(shared_data / ANSWERS / "G2_answer/10_ChatGPT_DFS_woFilter_w2.json")
    search = replay(recorded)
    root = search.root
    listed = previous_candidates(root)
    assert len(listed) == len(root.children)
    first = root.children[0]
    assert listed[0]["name"] == first.message.tool_calls[0].name
    assert listed[0]["function_output"] == first.observations[0].content
    message = search.task.diversity_message(listed, "")
    assert "This is not the first time you try this task" in message.content
    assert '"mento-carlo-action-value": 0.0' in message.content
