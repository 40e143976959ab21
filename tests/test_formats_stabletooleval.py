"""StableToolEval converted answers: exact reproduction of StableToolBench's converter, reading."""

from __future__ import annotations

import json
import random

import pytest

from toolbench.errors import InputError
from toolbench.formats.stabletooleval import (
    convert_answer,
    convert_answer_dir,
    convert_trajectory,
    dumps_converted,
    read_converted,
    write_groups,
)
from toolbench.store.run_io import detect_format, read_run
from toolbench.types import FinishReason, Observation, Step, ToolCall, Trajectory


@pytest.mark.parametrize(("folder", "method"), [("cot", "CoT@1"), ("dfs", "DFS_woFilter_w2")])
def test_converter_reproduces_stabletoolbench_bytes(shared_data, folder, method):
    base = shared_data / "stabletoolbench" / "data_example"
    expected = (base / "model_predictions_converted" / f"virtual_chatgpt_{folder}" / "G1_instruction.json").read_text()
    order = list(json.loads(expected))  # the original walks os.listdir order
    ours = convert_answer_dir(base / "answer" / f"virtual_chatgpt_{folder}" / "G1_instruction", method, order=order)
    assert dumps_converted(ours) == expected


def test_converter_default_order_is_numeric(shared_data):
    base = shared_data / "stabletoolbench" / "data_example" / "answer" / "virtual_chatgpt_dfs" / "G1_instruction"
    assert list(convert_answer_dir(base, "DFS_woFilter_w2")) == ["588", "608", "1073"]


def test_invalid_dfs_tree_random_walk_is_seeded():
    leaf = {"node_type": "Action Input", "description": "{}", "observation": "ok", "children": []}
    tree = {"children": [
        {"node_type": "Thought", "description": "t1", "children": []},
        {"node_type": "Action", "description": "f", "children": [leaf]},
    ]}
    data = {"tree": {"tree": tree}, "answer_generation": {"valid_data": False, "query": "q", "function": [],
                                                          "final_answer": ""}}
    first = convert_answer(data, "DFS_woFilter_w2", random.Random(42))
    again = convert_answer(data, "DFS_woFilter_w2", random.Random(42))
    assert first == again
    assert first["answer"]["total_steps"] == 3  # system, user, one branch
    assert first["answer"]["answer_details"][0]["next"][0]["next"][0]["role"] in ("assistant", "tool")


def test_read_converted_data_example(shared_data):
    path = shared_data / "stabletoolbench" / "data_example" / "model_predictions_converted" / "virtual_chatgpt_cot"
    assert detect_format(path) == "stabletooleval"
    by_id = {t.query_id: t for t in read_run(path)}
    assert by_id["588"].finish_reason == FinishReason.NO_FINISH  # CoT 588 never called Finish
    assert by_id["1073"].finish_reason == FinishReason.GIVE_ANSWER
    assert by_id["1073"].final_answer.startswith("For the search query")
    assert by_id["1073"].steps[0].action.name == "popularsitesforquery_for_keyword_analysis"
    assert by_id["1073"].config["group"] == "G1_instruction"


def test_read_truncated_prediction_files(shared_data):
    folder = shared_data / "stabletoolbench" / "predictions" / "gpt-3.5-turbo_CoT"
    trajectories = read_converted(folder / "G1_tool.json")
    assert trajectories and all(t.method for t in trajectories)
    named = [s.action.name for t in trajectories for s in t.steps if s.action]
    assert named and all(named)


def test_our_trajectory_round_trips(tmp_path):
    call = ToolCall("c1", "search_for_yt", {"q": "cats"})
    finish = ToolCall("c2", "Finish", {"return_type": "give_answer", "final_answer": "3 cats"})
    traj = Trajectory("7", "find cats", "dfsdt", steps=[
        Step("look", call, Observation("c1", '{"n": 3}', name="search_for_yt")), Step("", finish)],
        finish_reason=FinishReason.GIVE_ANSWER, final_answer="3 cats", config={"group": "G1_instruction"})
    entry = convert_trajectory(traj)
    assert entry["answer"]["total_steps"] == 5  # system, user, thought, tool, Finish
    [path] = write_groups(tmp_path, [traj])
    [back] = read_converted(path)
    assert (back.query_id, back.final_answer, back.finish_reason) == ("7", "3 cats", FinishReason.GIVE_ANSWER)
    assert [s.action.name for s in back.steps if s.action] == ["search_for_yt", "Finish"]


def test_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "G1.json"
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="G1.json"):
        read_converted(bad)
