"""The data and finetune commands end to end (tiny model, built-in world, ToolBench trees)."""

from __future__ import annotations

import json

import pytest

from toolbench.app.cli import main


def test_templates_gold_sft_pipeline(tmp_path):
    instr, gold, sft = tmp_path / "instr", tmp_path / "gold", tmp_path / "sft"
    assert main(["data", "templates", "--out", str(instr), "--g1", "6", "--g2", "2", "--g3", "2",
                 "--heldout", "0.5"]) == 0
    train = [json.loads(line) for line in (instr / "train.jsonl").read_text().splitlines()]
    held = [json.loads(line) for line in (instr / "heldout.jsonl").read_text().splitlines()]
    assert len(train) == 5 and len(held) == 5
    assert json.loads((instr / "train_toolbench.json").read_text())[0]["relevant APIs"]
    assert main(["data", "gold", str(instr / "train.jsonl"), "--out", str(gold)]) == 0
    assert len(list((gold / "results").glob("*.json"))) == 5 and (gold / "trajectories.jsonl").is_file()
    assert main(["data", "sft", str(gold), "--out", str(sft)]) == 0
    examples = [json.loads(line) for line in (sft / "sft.jsonl").read_text().splitlines()]
    assert len(examples) == 5
    system = examples[0]["messages"][0]
    assert system["role"] == "system" and "You are AutoGPT" in system["content"]  # the planner's own prompt
    assert len(json.loads((sft / "toolllama.json").read_text())) == 5


def test_sft_on_toolbench_trees_and_bad_input(shared_data, tmp_path):
    root = shared_data / "toolbench" / "data_example" / "answer"
    out = tmp_path / "sft"
    assert main(["data", "sft", str(root / "G1_answer"), str(root / "G2_answer"), "--out", str(out), "--all"]) == 0
    examples = [json.loads(line) for line in (out / "sft.jsonl").read_text().splitlines()]
    assert len(examples) == 10 and len({e["id"] for e in examples}) == 10
    assert main(["data", "sft", str(tmp_path / "missing"), "--out", str(out)]) == 2


def test_finetune_command_trains_and_merges(tmp_path):
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from tests.test_sft import CHATML

    assert main(["data", "templates", "--out", str(tmp_path / "i"), "--g1", "4", "--g2", "0", "--g3", "0",
                 "--heldout", "0"]) == 0
    assert main(["data", "gold", str(tmp_path / "i" / "train.jsonl"), "--out", str(tmp_path / "g"),
                 "--prompt", "default"]) == 0
    assert main(["data", "sft", str(tmp_path / "g"), "--out", str(tmp_path / "s"), "--drop-system"]) == 0
    texts = [line for line in (tmp_path / "s" / "sft.jsonl").read_text().splitlines()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=["<|im_start|>", "<|im_end|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|im_end|>")
    tokenizer.chat_template = CHATML
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))
    base = tmp_path / "base"
    model.save_pretrained(base)
    tokenizer.save_pretrained(base)
    out = tmp_path / "ft"
    assert main(["finetune", "--data", str(tmp_path / "s"), "--model", str(base), "--out", str(out), "--max-steps",
                 "3", "--batch-size", "2", "--device", "cpu", "--max-length", "4096", "--merge"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["examples"] == 4
    assert json.loads((out / "data_config.json").read_text())["tool_format"] == "auto"
    merged = LlamaForCausalLM.from_pretrained(out / "merged")
    from toolbench.training.lora import load_with_adapter

    adapted, _ = load_with_adapter(out, device="cpu")
    ids = torch.tensor([[5, 6, 7, 8]])
    assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-5)
