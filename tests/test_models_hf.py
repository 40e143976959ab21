"""The hf backend on the real embedded SmolLM2-135M-Instruct (slow: a few short generations)."""

from __future__ import annotations

import pytest

from toolbench.errors import ConfigError
from toolbench.models import load_chat_model
from toolbench.models.hf_backend import HFChatModel
from toolbench.types import Message

pytestmark = pytest.mark.slow

TOOLS = [
    {"type": "function", "function": {
        "name": "calculate", "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]}}},
    {"type": "function", "function": {
        "name": "Finish", "description": "Give the final answer.",
        "parameters": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}}},
]


@pytest.fixture(scope="module")
def model() -> HFChatModel:
    return load_chat_model("hf:smollm2", max_new_tokens=24)


def test_plain_generation_and_usage(model):
    reply = model.generate([Message("user", "What is the capital of France? Answer in one word.")])
    assert reply.content and reply.tool_calls == [] and reply.parse_error is None
    assert "paris" in reply.content.lower()
    assert reply.usage.llm_calls == 1 and 10 < reply.usage.prompt_tokens < 100
    assert 0 < reply.usage.completion_tokens <= 24


def test_required_tool_call_is_parsed(model):
    messages = [Message("system", "Use the functions."), Message("user", "What is 37 * 91?")]
    reply = model.generate(messages, TOOLS, tool_choice="required")
    assert reply.raw.startswith('{"name": "')
    assert reply.parse_error is None, reply.raw
    assert [c.name for c in reply.tool_calls] == ["calculate"]
    assert "37" in reply.tool_calls[0].arguments.get("expression", "")


def test_prefix_reuse_gives_the_same_reply_as_a_fresh_encode(model):
    first = [Message("system", "Use the functions."), Message("user", "What is 12 + 30?")]
    reply = model.generate(first, TOOLS, tool_choice="required")
    chain = first + [reply.to_message(), Message("tool", '{"error": "", "response": 42}',
                                                 tool_call_id="hf_0", name="calculate")]
    before = model.stats()["reused_tokens"]
    reused = model.generate(chain, TOOLS, tool_choice={"type": "function", "function": {"name": "Finish"}})
    assert model.stats()["reused_tokens"] - before > 60  # system prompt + tools not re-encoded
    model.close()  # drops the KV state: a fresh encode
    fresh = model.generate(chain, TOOLS, tool_choice={"type": "function", "function": {"name": "Finish"}})
    assert reused.raw == fresh.raw and reused.tool_calls[0].name == "Finish"
    assert isinstance(reused.tool_calls[0].arguments["answer"], str)


def test_free_text_format_without_guidance(model):
    free = load_chat_model("hf:smollm2", tool_format="hermes", guided=False, max_new_tokens=24)
    reply = free.generate([Message("user", "What is 37 * 91?")], TOOLS, tool_choice="required")
    assert reply.raw.startswith("<tool_call>\n{")  # parsed or reported, never raised
    assert reply.tool_calls or reply.parse_error


def test_seeded_sampling_is_reproducible(model):
    messages = [Message("user", "Tell me a color.")]
    a = model.generate(messages, temperature=1.0, seed=7, max_new_tokens=8)
    b = model.generate(messages, temperature=1.0, seed=7, max_new_tokens=8)
    assert a.content == b.content


def test_bad_options_are_config_errors(model):
    with pytest.raises(ConfigError, match="unknown generate option"):
        model.generate([Message("user", "x")], max_tokens=3)
    with pytest.raises(ConfigError, match="tool_format"):
        load_chat_model("hf:smollm2", tool_format="xml")


def test_lora_adapter_loads(tmp_path):
    from peft import LoraConfig, get_peft_model

    from toolbench.models.hf_models import load_causal_lm

    base, _ = load_causal_lm("smollm2")
    get_peft_model(base, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"])).save_pretrained(
        tmp_path / "adapter")
    merged = load_chat_model("hf:smollm2", adapter=str(tmp_path / "adapter"), max_new_tokens=4)
    assert type(merged.model).__name__ == "LlamaForCausalLM"  # merged into the weights for inference
    assert merged.describe()["adapter"].endswith("adapter")
    unmerged = load_chat_model("hf:smollm2", adapter=str(tmp_path / "adapter"), max_new_tokens=4,
                               merge_adapter=False)
    assert type(unmerged.model).__name__.startswith("PeftModel")
    messages = [Message("user", "Hi")]
    assert merged.generate(messages).usage.completion_tokens > 0
    assert merged.generate(messages).content == unmerged.generate(messages).content


def _tiny_tied_checkpoint(directory):  # type: ignore[no-untyped-def]
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True)
    LlamaForCausalLM(config).save_pretrained(directory)
    return LlamaForCausalLM(config)


def test_a_meta_output_embedding_is_tied_to_the_input_embedding(tmp_path):
    import torch

    from toolbench.models.hf_models import _meta_parameters, _tie_output_embeddings

    model = _tiny_tied_checkpoint(tmp_path)
    model.lm_head.weight = torch.nn.Parameter(torch.empty(64, 16, device="meta"))
    assert _meta_parameters(model) == ["lm_head.weight"]
    _tie_output_embeddings(model, str(tmp_path))
    assert _meta_parameters(model) == []
    assert model.lm_head.weight is model.model.embed_tokens.weight


def test_explicit_load_ties_the_output_embedding_and_keeps_the_weights(tmp_path):
    import torch
    from safetensors.torch import load_file

    from toolbench.models.hf_models import _load_explicitly

    _tiny_tied_checkpoint(tmp_path)
    model = _load_explicitly(str(tmp_path), torch.float32)
    saved = load_file(str(tmp_path / "model.safetensors"))
    assert "lm_head.weight" not in saved
    assert torch.equal(model.model.embed_tokens.weight, saved["model.embed_tokens.weight"])
    assert model.lm_head.weight is model.model.embed_tokens.weight
