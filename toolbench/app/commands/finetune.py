"""``toolbench finetune``: LoRA supervised fine-tuning on SFT data (see :mod:`toolbench.training.lora`).

Runs unchanged on several GPUs::

    accelerate launch -m toolbench finetune --data DIR --model PATH --out DIR
    torchrun --nproc_per_node 4 -m toolbench finetune --data DIR --model PATH --out DIR
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from toolbench.app import common

logger = logging.getLogger(__name__)


def load_sft_data(path: Path) -> list[dict[str, Any]]:
    """SFT examples from ``sft.jsonl`` (or a directory holding it) or a ToolLLaMA JSON list."""
    from data.sft import read_examples
    from toolbench.errors import InputError

    if path.suffix == ".json":
        from data.toolllama import from_toolllama
        from toolbench.store import read_json

        records = read_json(path)
        if not isinstance(records, list):
            raise InputError("a ToolLLaMA file must hold a JSON list", path=str(path))
        return [from_toolllama(r, source=path.stem) for r in records]
    if path.is_dir() and not (path / "sft.jsonl").is_file() and (path / "toolllama.json").is_file():
        return load_sft_data(path / "toolllama.json")
    return read_examples(path)


def finetune(
    data: Path = typer.Option(..., "--data", help="SFT data: a directory, sft.jsonl or toolllama.json."),
    model: str = typer.Option("smollm2", "--model", help="Base model: smollm2, a checkpoint directory, a .gguf file."),
    out: Path = typer.Option(..., "--out", help="Output directory (adapter/, metrics.json, train_config.json)."),
    merge: bool = typer.Option(False, "--merge", help="Also write the merged model to OUT/merged."),
    tool_format: str = typer.Option("auto", "--format", help="Tool-call text format (as the hf backend's)."),
    rank: int = common.LORA_RANK,
    alpha: int = typer.Option(0, help="LoRA alpha (0: 2 x rank)."),
    dropout: float = typer.Option(0.05, help="LoRA dropout."),
    targets: str = typer.Option(",".join(("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                          "down_proj")), help="Comma-separated target modules."),
    top_layers: int = typer.Option(0, help="Adapt only the last N layers (cheaper backward; 0 = all)."),
    lr: float = common.LEARNING_RATE,
    epochs: float = common.EPOCHS,
    max_steps: int = common.MAX_STEPS,
    batch_size: int = common.BATCH_SIZE,
    grad_accum: int = typer.Option(1, help="Gradient accumulation steps."),
    max_length: int = common.max_length_option(2048),
    save_steps: int = typer.Option(50, help="Checkpoint every N steps."),
    logging_steps: int = typer.Option(5, help="Log loss and tokens/s every N steps."),
    seed: int = common.TRAIN_SEED,
    device: str = common.DEVICE,
    dtype: str = typer.Option("", help="float32, bfloat16 (default: fp32 on CPU, bf16 on CUDA)."),
    gradient_checkpointing: str = typer.Option("auto", help="auto (on for CUDA), on, off."),
    resume: bool = typer.Option(True, help="Resume from the last checkpoint in OUT."),
) -> None:
    """LoRA fine-tuning of a causal LM on solution paths, with assistant-only loss."""
    from data.sft_tokenize import tokenize_examples
    from toolbench.models.hf_models import load_tokenizer
    from toolbench.training.lora import LoraTrainConfig, merge_adapter, train_lora

    config = LoraTrainConfig(
        model=model, rank=rank, alpha=alpha, dropout=dropout, target_modules=tuple(t for t in targets.split(",") if t),
        top_layers=top_layers,
        learning_rate=lr, epochs=epochs, max_steps=max_steps, batch_size=batch_size, grad_accum=grad_accum,
        max_length=max_length, save_steps=save_steps, logging_steps=logging_steps, seed=seed, device=device,
        dtype=dtype, gradient_checkpointing=gradient_checkpointing,
    )
    tokenizer = load_tokenizer(model)
    items = tokenize_examples(load_sft_data(data), tokenizer, fmt=tool_format, max_length=max_length)
    metrics = train_lora(items, config, out, tokenizer=tokenizer, resume=resume)
    _save_data_config(out, data, tool_format, len(items))
    typer.echo(f"trained {metrics['steps']} steps on {metrics['examples']} examples in {metrics['seconds']} s "
               f"({metrics['tokens_per_second']} tokens/s, loss {metrics['first_loss']} → {metrics['last_loss']}); "
               f"adapter → {out / 'adapter'}")
    if merge:
        typer.echo(f"merged model → {merge_adapter(out, out / 'merged')}")


def _save_data_config(out: Path, data: Path, tool_format: str, examples: int) -> None:
    from toolbench.store import atomic_write_json

    atomic_write_json(out / "data_config.json", {"data": str(data), "tool_format": tool_format, "examples": examples})


def register(app: typer.Typer) -> None:
    """Add ``toolbench finetune`` to ``app``."""
    app.command("finetune")(finetune)
