"""SFT conversion on the 15 recorded ToolBench trees: examples, ToolLLaMA round trip, loss masks."""

from __future__ import annotations

import json

import pytest

from data.sft import (
    SftConfig,
    messages_from_wire,
    read_examples,
    trajectories_to_examples,
    trajectory_to_example,
    write_examples,
)
from data.sft_tokenize import IGNORE_INDEX, labelled_spans, tokenize_example, tokenize_examples, training_chat
from data.toolllama import API_MARKER, from_toolllama, to_toolllama
from toolbench.errors import ConfigError, InputError
from toolbench.models.tool_call_text import parse_tool_calls
from toolbench.types import FinishReason, Message, ToolCall, Trajectory

CHATML = ("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{'<|im_start|>assistant\\n'}}{% endif %}")
END = "<|im_end|>\n"


@pytest.fixture(scope="module")
def trees(shared_data):
    from toolbench.formats.toolbench_answer import read_answer_path

    root = shared_data / "toolbench" / "data_example" / "answer"
    out = []
    for group in ("G1_answer", "G2_answer", "G3_answer"):
        out += read_answer_path(root / group)
    assert len(out) == 15
    return out


@pytest.fixture(scope="module")
def tokenizer(trees):
    """A real byte-level BPE tokenizer trained in-process, with a ChatML template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|im_start|>", "<|im_end|>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([m.content or "" for t in trees[:3] for m in t.messages], trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>")
    hf.chat_template = CHATML
    return hf


def parallel_trajectory() -> Trajectory:
    calls = [ToolCall("a", "add", {"a": 1, "b": 2}), ToolCall("b", "mul", {"x": [3, 4]})]
    return Trajectory("p1", "sum and product", "dfs", tools=[
        {"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {}}}}],
        messages=[Message("system", "Solve it."), Message("user", "sum and product"),
                  Message("assistant", "Both at once.", calls), Message("tool", "3", tool_call_id="a", name="add"),
                  Message("tool", "12", tool_call_id="b", name="mul"),
                  Message("assistant", "", [ToolCall("c", "Finish", {"return_type": "give_answer",
                                                                      "final_answer": "3 and 12"})])],
        finish_reason=FinishReason.GIVE_ANSWER, final_answer="3 and 12")


def test_one_example_per_solved_path(trees):
    examples, dropped = trajectories_to_examples(trees)
    solved = [t for t in trees if t.gave_answer]
    assert len(examples) == len(solved) == 9
    assert dropped == {"not solved (give_up)": 4, "not solved (no_finish)": 2}
    for example, trajectory in zip(examples, solved, strict=True):
        assistants = [m for m in example["messages"] if m["role"] == "assistant"]
        assert len(assistants) == sum(1 for m in trajectory.messages if m.role == "assistant")
        assert assistants[-1]["tool_calls"][0]["function"]["name"] == "Finish"
        for message in example["messages"]:
            assert set(message) == {"role", "content", "tool_calls", "tool_call_id", "name"}
            for call in message["tool_calls"]:
                assert isinstance(call["function"]["arguments"], str)
                json.loads(call["function"]["arguments"])
        back = messages_from_wire(example["messages"])
        assert [c.arguments for m in back for c in m.tool_calls] == [
            c.arguments for m in trajectory.messages for c in m.tool_calls]
    everything, _ = trajectories_to_examples(trees, SftConfig(solved_only=False))
    assert len(everything) == 15


def test_examples_survive_datasets_and_jsonl(trees, tmp_path):
    examples, _ = trajectories_to_examples(trees, SftConfig(solved_only=False))
    path = write_examples(tmp_path, examples)
    assert read_examples(path) == examples
    from data.sft import to_hf_dataset

    dataset = to_hf_dataset(examples)
    assert [dict(r) for r in dataset] == examples  # heterogeneous argument schemas intact


def test_toolllama_round_trip(trees):
    examples, _ = trajectories_to_examples(trees, SftConfig(solved_only=False))
    for example in examples:
        record = to_toolllama(example)
        roles = [c["from"] for c in record["conversations"]]
        assert roles[:2] == ["system", "user"] and set(roles) <= {"system", "user", "assistant", "function"}
        assert API_MARKER in record["conversations"][0]["value"]
        if example["messages"][0]["role"] == "system":  # two unfinished trees have no system message
            hint = "Your output should follow this format:\nThought:\nAction\nAction Input:"
            assert hint in record["conversations"][0]["value"]
        assert all(c["value"].startswith("\nThought: ") for c in record["conversations"] if c["from"] == "assistant")
        back = from_toolllama(json.loads(json.dumps(record)), source=example["source"])
        assert back["messages"] == example["messages"]
        assert json.loads(back["tools"]) == json.loads(example["tools"])


def test_toolllama_reads_python_repr_api_lists():
    record = {"id": "Step 1: q", "conversations": [
        {"from": "system", "value": "Sys." + API_MARKER + str([{"name": "f", "description": "d", "x": True}])},
        {"from": "user", "value": "q"},
        {"from": "assistant", "value": '\nThought: go\nAction: f\nAction Input: {"a": 1}'},
        {"from": "function", "value": '{"error": "", "response": "ok"}'}]}
    example = from_toolllama(record)
    assert json.loads(example["tools"])[0]["function"]["x"] is True
    assert example["messages"][3]["tool_call_id"] == example["messages"][2]["tool_calls"][0]["id"]
    with pytest.raises(InputError):
        from_toolllama({"conversations": [{"from": "robot", "value": "x"}]})


def test_parallel_calls_are_split_for_toolllama():
    example = trajectory_to_example(parallel_trajectory())
    assert [c["id"] for c in example["messages"][2]["tool_calls"]] == ["call_2_0", "call_2_1"]
    assert [m["tool_call_id"] for m in example["messages"][3:5]] == ["call_2_0", "call_2_1"]
    record = to_toolllama(example)
    assert [c["from"] for c in record["conversations"]] == [
        "system", "user", "assistant", "function", "assistant", "function", "assistant"]
    assert record["conversations"][5]["value"] == "12"


def expected_turns(example, tokenizer, fmt):
    """The independent oracle: each assistant turn's text plus the template's end marker."""
    chat, _ = training_chat(messages_from_wire(example["messages"]), json.loads(example["tools"]), tokenizer, fmt)
    return [m["content"] + END for m in chat if m["role"] == "assistant"]


@pytest.mark.parametrize("fmt", ["auto", "hermes", "react"])
def test_masks_cover_exactly_the_assistant_turns(trees, tokenizer, fmt):
    examples, _ = trajectories_to_examples(trees, SftConfig(solved_only=False))
    examples.append(trajectory_to_example(parallel_trajectory()))
    for example in examples:
        item = tokenize_example(example, tokenizer, fmt=fmt)
        decoded = [tokenizer.decode(run) for run in labelled_spans(item["input_ids"], item["labels"])]
        assert decoded == expected_turns(example, tokenizer, fmt)
        segments, previous = [], None
        for token, label in zip(item["input_ids"], item["labels"], strict=True):
            if (label == IGNORE_INDEX) != previous:
                segments.append([])
                previous = label == IGNORE_INDEX
            segments[-1].append(token)
        masked = [tokenizer.decode(s) for s in segments[0::2]]
        assert "".join(tokenizer.decode(s) for s in segments) == tokenizer.decode(item["input_ids"])
        assert all(text.endswith("<|im_start|>assistant\n") for text in masked[: len(decoded)])
        assert "<|im_start|>assistant" not in "".join(decoded) and "<|im_start|>user" not in "".join(decoded)


def test_truncation_drops_examples_without_labels(trees, tokenizer):
    examples, _ = trajectories_to_examples(trees)
    assert tokenize_examples(examples[:2], tokenizer, max_length=20) == []
    full = tokenize_examples(examples[:2], tokenizer)
    cut = tokenize_examples(examples[:2], tokenizer, max_length=len(full[0]["input_ids"]) - 5)
    assert len(cut[0]["input_ids"]) == len(full[0]["input_ids"]) - 5


def test_tokenizer_without_template_is_refused(trees, tokenizer):
    examples, _ = trajectories_to_examples(trees)
    bare = tokenizer.__class__(tokenizer_object=tokenizer.backend_tokenizer, eos_token="<|im_end|>")
    with pytest.raises(ConfigError):
        tokenize_example(examples[0], bare)


def test_sft_examples_train_a_tiny_llama(trees, tokenizer, tmp_path):
    """End to end: SFT examples → masked tokens → LoRA on a tiny random LLaMA; loss goes down."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from toolbench.training.lora import LoraTrainConfig, train_lora

    examples, _ = trajectories_to_examples(trees, SftConfig(drop_system=True))
    for example in examples:
        example["tools"] = "[]"  # short sequences: keep the test fast
    items = tokenize_examples(examples, tokenizer, max_length=192)
    assert len(items) >= 5
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))
    config = LoraTrainConfig(model="tiny", rank=8, learning_rate=5e-3, max_steps=8, batch_size=3, logging_steps=2,
                             save_steps=100, device="cpu", dropout=0.0)
    metrics = train_lora(items, config, tmp_path / "run", tokenizer=tokenizer, model=model)
    assert metrics["last_loss"] < metrics["first_loss"]
    assert (tmp_path / "run" / "adapter" / "tokenizer_config.json").is_file()


@pytest.mark.slow
def test_masks_with_the_smollm2_chat_template(trees):
    from toolbench.models.hf_models import load_tokenizer

    smol = load_tokenizer("smollm2")
    examples, _ = trajectories_to_examples(trees)
    for example in examples:
        item = tokenize_example(example, smol)
        decoded = [smol.decode(run) for run in labelled_spans(item["input_ids"], item["labels"])]
        assert decoded == expected_turns(example, smol, "auto")


def test_training_text_is_the_hf_backend_prompt(trees, tokenizer):
    """Contract with toolbench.models.hf_backend: the text before every trained reply is
    exactly the prompt the backend builds for that conversation prefix at inference."""
    from data.sft_tokenize import assistant_char_spans
    from toolbench.models.hf_backend import HFChatModel, template_supports_tools

    backend = HFChatModel.__new__(HFChatModel)  # no weights needed to build prompts
    backend.tokenizer, backend.tool_format = tokenizer, "auto"
    backend.native = template_supports_tools(tokenizer)
    examples, _ = trajectories_to_examples(trees)
    for example in examples:
        messages, tools = messages_from_wire(example["messages"]), json.loads(example["tools"])
        chat, template_tools = training_chat(messages, tools, tokenizer, "auto")
        full, spans = assistant_char_spans(tokenizer, chat, template_tools)
        # consecutive assistant messages (a thought, then a call) form one rendered turn
        starts = [i for i, m in enumerate(messages) if m.role == "assistant" and messages[i - 1].role != "assistant"]
        assert len(starts) == len(spans)
        for index, (start, end) in zip(starts, spans, strict=True):
            prompt, prefill = backend.build_prompt(messages[:index], tools)
            assert prefill == "" and prompt == full[:start]
            group = [messages[index]]
            while index + len(group) < len(messages) and messages[index + len(group)].role == "assistant":
                group.append(messages[index + len(group)])
            parsed = parse_tool_calls(full[start:end].removesuffix(END), backend.text_format(tools))
            expected = [c for m in group for c in m.tool_calls]
            assert [(c.name, c.arguments) for c in parsed.tool_calls] == [(c.name, c.arguments) for c in expected]
