"""SFT examples in TRL's conversational tool format (trl.jsonl), read by TRL and a tools-aware chat template."""

from __future__ import annotations

import json

import pytest

from data.sft import SftConfig, trajectories_to_examples, trajectory_to_example
from data.trl_format import read_trl, to_trl, write_trl
from toolbench.app.cli import main
from toolbench.types import FinishReason, Message, ToolCall, Trajectory

# a minimal Hermes-style template that renders tools and tool-call arguments with tojson, as
# Qwen's and Llama's do: it only works when both are objects, not JSON strings
TOOLS_TEMPLATE = (
    "{% if tools %}<tools>{{ tools | tojson }}</tools>\n{% endif %}"
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}"
    "{% for c in m.get('tool_calls') or [] %}<call>{\"name\": {{ c['function']['name'] | tojson }}, "
    "\"arguments\": {{ c['function']['arguments'] | tojson }}}</call>{% endfor %}<|end|>\n{% endfor %}"
)


def chain() -> Trajectory:
    tools = [{"type": "function", "function": {"name": "mean", "description": "Mean of numbers.",
                                               "parameters": {"type": "object", "properties": {
                                                   "numbers": {"type": "array", "items": {"type": "number"}}},
                                                   "required": ["numbers"]}}}]
    return Trajectory("7", "mean of 2 and 4?", "dfsdt", tools=tools, messages=[
        Message("system", "Use the tools."), Message("user", "mean of 2 and 4?"),
        Message("assistant", "Plan: mean.", [ToolCall("x1", "mean", {"numbers": [2, 4]})]),
        Message("tool", '{"error": "", "response": 3}', tool_call_id="x1", name="mean"),
        Message("assistant", "", [ToolCall("x2", "Finish", {"return_type": "give_answer", "final_answer": "3"})])],
        finish_reason=FinishReason.GIVE_ANSWER, final_answer="3")


def test_calls_and_tools_are_objects_and_roles_keep_only_their_keys():
    record = to_trl(trajectory_to_example(chain()))
    assert record["tools"][0]["function"]["name"] == "mean"
    call = record["messages"][2]["tool_calls"][0]
    assert call["function"] == {"name": "mean", "arguments": {"numbers": [2, 4]}}
    assert record["messages"][3] == {"role": "tool", "content": '{"error": "", "response": 3}', "name": "mean",
                                     "tool_call_id": call["id"]}
    assert record["messages"][1] == {"role": "user", "content": "mean of 2 and 4?"}


def test_recorded_toolbench_paths_round_trip_through_the_file(shared_data, tmp_path):
    from toolbench.formats.toolbench_answer import read_answer_path

    trees = read_answer_path(shared_data / "toolbench" / "data_example" / "answer" / "G1_answer")
    examples, _ = trajectories_to_examples(trees, SftConfig(solved_only=False))
    path = write_trl(tmp_path, examples)
    records = read_trl(path)
    assert records == [json.loads(json.dumps(to_trl(e))) for e in examples]
    for example, record in zip(examples, records, strict=True):
        sent = [c["function"]["arguments"] for m in example["messages"] for c in m["tool_calls"]]
        assert [json.dumps(c["function"]["arguments"], separators=(",", ":"), ensure_ascii=False)
                for m in record["messages"] for c in m.get("tool_calls", [])] == sent


def test_trl_applies_a_tools_template_to_the_records():
    pytest.importorskip("trl")
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    from trl import apply_chat_template
    from trl.data_utils import is_conversational

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"<unk>": 0}, "<unk>")),
                                        unk_token="<unk>")
    tokenizer.chat_template = TOOLS_TEMPLATE
    record = to_trl(trajectory_to_example(chain()))
    assert is_conversational(record)
    text = apply_chat_template({"messages": record["messages"]}, tokenizer, tools=record["tools"])["text"]
    assert '<call>{"name": "mean", "arguments": {"numbers": [2, 4]}}</call>' in text
    assert '<tools>[{"type": "function", "function": {"name": "mean"' in text


def test_data_sft_writes_trl_jsonl_loadable_by_datasets(tmp_path):
    from datasets import load_dataset

    from toolbench.store.runs import RunDir

    run = tmp_path / "run"
    RunDir(run).write_result(chain())
    assert main(["data", "sft", str(run), "--out", str(tmp_path / "sft")]) == 0
    records = read_trl(tmp_path / "sft" / "trl.jsonl")
    assert len(records) == 1 and records[0]["messages"][2]["tool_calls"][0]["function"]["arguments"] == {
        "numbers": [2, 4]}
    dataset = load_dataset("json", data_files=str(tmp_path / "sft" / "trl.jsonl"), split="train",
                           cache_dir=str(tmp_path / "hf-datasets"))
    assert dataset[0]["messages"][2]["tool_calls"][0]["function"]["name"] == "mean"
