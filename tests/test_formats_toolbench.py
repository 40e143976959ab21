"""ToolBench answer trees → Trajectory (messages, steps, final answer, finish reason, tree)."""

from __future__ import annotations

import json

import pytest

from toolbench.calls import final_answer_text, parse_finish_arguments
from toolbench.errors import InputError
from toolbench.formats.common import legacy_to_messages
from toolbench.formats.toolbench_answer import read_answer_dir, read_answer_file, tree_from_toolbench
from toolbench.store.run_io import detect_format, read_run
from toolbench.types import FinishReason, ObservationStatus, Trajectory


def _answers(shared_data):
    return shared_data / "toolbench" / "data_example" / "answer"


def test_reads_all_fifteen_trees(shared_data):
    trajectories = read_answer_dir(_answers(shared_data))
    assert len(trajectories) == 15
    reasons = {t.finish_reason for t in trajectories}
    assert reasons == {FinishReason.GIVE_ANSWER, FinishReason.GIVE_UP, FinishReason.NO_FINISH}
    for t in trajectories:
        assert t.tree is not None and t.tree.nodes[0].parent is None
        assert t.usage.llm_calls >= 1
        assert Trajectory.from_dict(json.loads(json.dumps(t.to_dict()))) == t


def test_answer_file_details(shared_data):
    t = read_answer_file(_answers(shared_data) / "G1_answer" / "10_ChatGPT_DFS_woFilter_w2.json")
    assert (t.query_id, t.method) == ("10", "ChatGPT_DFS_woFilter_w2")
    assert t.finish_reason == FinishReason.GIVE_ANSWER
    assert t.final_answer.startswith("The contact details of the 'Gondrand' customs agency")
    assert [m.role for m in t.messages] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert t.messages[3].tool_call_id == t.messages[2].tool_calls[0].id
    assert [s.action.name for s in t.steps] == ["transitaires_for_transitaires", "transitaire_for_transitaires",
                                                 "Finish"]
    assert t.steps[1].action.arguments == {"is_id": "ACT_AGENCE_CALEDONIENNE_DE_TRANSIT"}
    assert t.steps[-1].observation.status == ObservationStatus.FINISH
    assert t.usage.llm_calls == 3 and t.usage.api_calls == 2
    assert [n.expand_order for n in t.tree.nodes] == [0, 1, 2, 3]
    assert t.tools[-1]["function"]["name"] == "Finish"
    assert t.config["forward_args"]["tree_beam_size"] == 2


def test_invalid_answer_has_no_finish_but_keeps_the_tree(shared_data):
    t = read_answer_file(_answers(shared_data) / "G1_answer" / "69_ChatGPT_DFS_woFilter_w2.json")
    assert t.finish_reason == FinishReason.NO_FINISH and t.final_answer == ""
    assert len(t.tree.nodes) == 25 and t.usage.llm_calls == 24
    assert t.messages[0].role == "user" and t.query


def test_give_up_answer(shared_data):
    t = read_answer_file(_answers(shared_data) / "G2_answer" / "127_ChatGPT_DFS_woFilter_w2.json")
    assert t.finish_reason == FinishReason.GIVE_UP and not t.gave_answer
    assert t.steps[-1].observation.status == ObservationStatus.GIVE_UP


def test_cot_answers_and_detection(shared_data):
    path = shared_data / "stabletoolbench" / "data_example" / "answer" / "virtual_chatgpt_cot" / "G1_instruction"
    assert detect_format(path) == "toolbench"
    by_id = {t.query_id: t for t in read_run(path)}
    assert by_id["588"].finish_reason == FinishReason.NO_FINISH
    assert len(by_id["588"].steps) == 6  # recovered from the chain
    assert by_id["1073"].gave_answer


def test_tree_groups_replies_by_visit():
    leaf = {"node_type": "Action Input", "description": '{"a": 1}', "observation": "x", "observation_code": 0,
            "expand_num": 1, "children": []}
    root = {"node_type": "Action Input", "expand_num": 0, "children": [
        {"node_type": "Thought", "description": "think", "expand_num": 0, "children": [
            {"node_type": "Action", "description": "f", "expand_num": 0, "children": [leaf]}]}]}
    tree = tree_from_toolbench(root)
    assert len(tree.nodes) == 2
    reply = tree.nodes[1]
    assert reply.message.content == "think" and reply.message.tool_calls[0].arguments == {"a": 1}
    assert reply.observations[0].content == "x" and reply.expand_order == 1


def test_finish_parsing_matches_toolbench_fallback():
    assert parse_finish_arguments('{"return_type": "give_up_and_restart"}') == {"return_type": "give_up_and_restart"}
    broken = '{"return_type": "give_answer", "final_answer": "It is 5 \\"C'
    assert parse_finish_arguments(broken)["return_type"] == "give_answer"
    assert final_answer_text("plain text answer") == ("give_answer", "plain text answer")


def test_legacy_messages_drop_invalid_diversity_prompts():
    msgs = legacy_to_messages([
        {"role": "user", "content": "q"},
        {"role": "user", "content": "diverse", "valid": False},
        {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{bad"}},
        {"role": "function", "name": "f", "content": "out"},
    ])
    assert [m.role for m in msgs] == ["user", "assistant", "tool"]
    assert msgs[1].tool_calls[0].arguments == {"_raw": "{bad"}
    assert msgs[2].tool_call_id == msgs[1].tool_calls[0].id


def test_not_an_answer_file(tmp_path):
    bad = tmp_path / "1_x.json"
    bad.write_text('{"foo": 1}')
    with pytest.raises(InputError, match="answer_generation"):
        read_answer_file(bad)


def test_our_answer_files_round_trip(shared_data, tmp_path):
    from toolbench.formats.toolbench_answer import write_answer_dir

    originals = read_answer_dir(_answers(shared_data) / "G1_answer")
    paths = write_answer_dir(tmp_path, originals, "DFS_woFilter_w2")
    assert sorted(p.name for p in paths)[0] == "10_DFS_woFilter_w2.json"
    back = {t.query_id: t for t in read_answer_dir(tmp_path)}
    for t in originals:
        again = back[t.query_id]
        assert (again.finish_reason, again.final_answer) == (t.finish_reason, t.final_answer)
        assert [n.expand_order for n in again.tree.nodes] == [n.expand_order for n in t.tree.nodes]
        assert [s.action.name for s in again.steps if s.action] == [s.action.name for s in t.steps if s.action]
