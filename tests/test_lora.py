"""LoRA trainer: a real short run on a tiny random-weight LLaMA built in-process."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from toolbench.errors import ConfigError, InputError
from toolbench.training.lora import (
    ADAPTER_DIR,
    IGNORE_INDEX,
    LoraTrainConfig,
    check_examples,
    collate,
    last_checkpoint,
    read_train_config,
    train_lora,
)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")


def tiny_llama(seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    return LlamaForCausalLM(config)


def toy_examples(n: int = 16) -> list[dict]:
    """Prompts of random tokens (masked) followed by a learnable counting pattern."""
    rng = random.Random(0)
    out = []
    for i in range(n):
        prompt = [rng.randint(3, 63) for _ in range(4)]
        answer = [(i % 5) + 10 + k for k in range(rng.randint(8, 20))]
        out.append({"input_ids": prompt + answer, "labels": [IGNORE_INDEX] * 4 + answer})
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("lora")
    base = tiny_llama()
    base.save_pretrained(root / "base")
    config = LoraTrainConfig(model=str(root / "base"), rank=8, learning_rate=1e-2, max_steps=30, batch_size=4,
                             logging_steps=5, save_steps=10, device="cpu", dropout=0.0)
    metrics = train_lora(toy_examples(), config, root / "run", model=base)
    return root, config, metrics


def test_loss_decreases_and_outputs_are_written(trained):
    root, config, metrics = trained
    assert metrics["steps"] == 30
    assert metrics["last_loss"] < metrics["first_loss"] - 0.3
    assert metrics["tokens_per_second"] > 0 and metrics["peak_memory_mb"] > 0
    assert (root / "run" / ADAPTER_DIR / "adapter_config.json").is_file()
    assert read_train_config(root / "run") == config
    log = [json.loads(line) for line in (root / "run" / "train_log.jsonl").read_text().splitlines()]
    assert any("loss" in r and r["tokens_per_second"] > 0 for r in log)
    saved = json.loads((root / "run" / "metrics.json").read_text())
    assert saved["train_loss"] == pytest.approx(metrics["train_loss"])


def test_adapter_reloads_with_identical_logits(trained):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    root, _, _ = trained
    ids = torch.tensor([[5, 9, 12, 13, 14, 15]])
    base = AutoModelForCausalLM.from_pretrained(root / "base")
    before = base(ids).logits.detach().clone()
    reloaded = PeftModel.from_pretrained(base, root / "run" / ADAPTER_DIR).eval()
    after = reloaded(ids).logits.detach()
    assert not torch.allclose(before, after)  # the adapter changes the model
    again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(root / "base"),
                                      root / "run" / ADAPTER_DIR).eval()
    assert torch.equal(after, again(ids).logits.detach())


def test_finished_run_is_not_retrained(trained):
    root, config, metrics = trained
    assert train_lora(toy_examples(), config, root / "run") == json.loads((root / "run" / "metrics.json").read_text())


def test_a_checkpoint_cut_off_while_saving_is_skipped(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    for step, state in ((10, '{"global_step": 10}'), (20, '{"global_st'), (30, None)):
        (checkpoints / f"checkpoint-{step}").mkdir(parents=True)
        if state is not None:
            (checkpoints / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    (checkpoints / "checkpoint-x").mkdir()
    assert last_checkpoint(tmp_path).endswith("checkpoint-10")
    assert last_checkpoint(tmp_path / "nowhere") is None


def test_resume_from_checkpoint_reproduces_the_run(trained, tmp_path):
    root, config, metrics = trained
    run = tmp_path / "run"
    shutil.copytree(root / "run" / "checkpoints" / "checkpoint-20", run / "checkpoints" / "checkpoint-20")
    assert last_checkpoint(run).endswith("checkpoint-20")
    resumed = train_lora(toy_examples(), config, run, model=tiny_llama())
    assert resumed["resumed_from"].endswith("checkpoint-20")
    assert resumed["steps"] == 30
    assert resumed["last_loss"] == pytest.approx(metrics["last_loss"], rel=1e-4)


def test_top_layers_only_adapt_the_last_layers(tmp_path):
    config = LoraTrainConfig(model="tiny", rank=4, max_steps=2, batch_size=4, device="cpu", top_layers=1,
                             logging_steps=1, save_steps=10)
    from toolbench.training.lora import add_lora

    names = [n for n, p in add_lora(tiny_llama(), config).named_parameters() if p.requires_grad]
    assert names and all(".layers.1." in n for n in names)
    metrics = train_lora(toy_examples(4), config, tmp_path / "run", model=tiny_llama())
    assert metrics["steps"] == 2


def test_collate_pads_dynamically():
    batch = collate([{"input_ids": [1, 2], "labels": [1, 2]}, {"input_ids": [3], "labels": [-100]}], pad_id=9,
                    multiple_of=8)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["labels"][1].tolist() == [-100] * 8
    assert collate([{"input_ids": [1, 2, 3], "labels": [1, 2, 3]}])["input_ids"].shape == (1, 3)


def test_bad_examples_and_config_raise():
    with pytest.raises(InputError):
        check_examples([{"input_ids": [1, 2], "labels": [1]}], 8)
    with pytest.raises(InputError):
        check_examples([{"input_ids": [1, 2], "labels": [-100, -100]}], 8)
    with pytest.raises(ConfigError):
        LoraTrainConfig(rank=0)
    with pytest.raises(ConfigError):
        LoraTrainConfig(gradient_checkpointing="maybe")
