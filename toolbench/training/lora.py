"""LoRA fine-tuning of causal LMs (peft + the transformers Trainer): the project's one trainer.

Used by ``toolbench finetune`` (SFT on solution paths) and by Toolformer (fine-tuning on
the augmented corpus). Input is already tokenised: a sequence of
``{"input_ids": [...], "labels": [...]}`` where ``labels`` is ``-100`` on every token
that carries no loss (prompt, tool results, padding). The trainer

- pads each batch dynamically to its longest sequence (optionally to a multiple of 8 on
  GPUs), never to a fixed maximum length, and groups similar lengths into batches;
- is seeded (model init of the adapter, data order, dropout);
- checkpoints every ``save_steps`` under ``OUT/checkpoints`` and resumes from the last
  one; a finished run (``OUT/metrics.json`` present) is not retrained;
- logs loss and tokens/s (``OUT/train_log.jsonl``) and reports peak memory;
- runs fp32 on CPU and bf16 with gradient checkpointing on CUDA; because it is the HF
  Trainer, the same script runs under ``accelerate launch`` or ``torchrun`` on several GPUs;
- writes ``OUT/adapter/`` (peft adapter + tokenizer), ``OUT/train_config.json`` and
  ``OUT/metrics.json``; :func:`merge_adapter` exports a merged model.

>>> LoraTrainConfig(rank=8).alpha
16
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolbench.config import Config, require, save_config
from toolbench.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ADAPTER_DIR = "adapter"
CHECKPOINTS_DIR = "checkpoints"
METRICS_FILE = "metrics.json"
CONFIG_FILE = "train_config.json"
LOG_FILE = "train_log.jsonl"


@dataclasses.dataclass(frozen=True)
class LoraTrainConfig(Config):
    """Everything that shapes a LoRA run (saved next to the adapter).

    ``alpha`` defaults to ``2 * rank``. ``max_steps > 0`` overrides ``epochs``.
    ``device``/``dtype`` empty: CUDA + bf16 when available, else CPU + fp32.
    ``gradient_checkpointing``: ``auto`` = on for CUDA, off on CPU.
    ``top_layers > 0`` puts adapters on the last N decoder layers only: the backward pass
    then stops there, which roughly halves the cost of a CPU step (0 = all layers).
    """

    model: str = "smollm2"
    rank: int = 16
    alpha: int = 0
    dropout: float = 0.05
    target_modules: tuple[str, ...] = LLAMA_TARGETS
    top_layers: int = 0
    learning_rate: float = 2e-4
    epochs: float = 1.0
    max_steps: int = 0
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 2048
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    seed: int = 0
    logging_steps: int = 5
    save_steps: int = 50
    save_total_limit: int = 2
    device: str = ""
    dtype: str = ""
    gradient_checkpointing: str = "auto"
    group_by_length: bool = True

    def __post_init__(self) -> None:
        if not self.alpha:
            object.__setattr__(self, "alpha", 2 * self.rank)
        object.__setattr__(self, "target_modules", tuple(self.target_modules))
        super().__post_init__()

    def validate(self) -> None:
        require(self.rank > 0, "rank must be > 0")
        require(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)")
        require(self.learning_rate > 0, "learning_rate must be > 0")
        require(self.epochs > 0 or self.max_steps > 0, "need epochs > 0 or max_steps > 0")
        require(self.batch_size > 0 and self.grad_accum > 0, "batch_size and grad_accum must be > 0")
        require(self.max_length > 1, "max_length must be > 1")
        require(self.logging_steps > 0 and self.save_steps > 0, "logging_steps and save_steps must be > 0")
        require(self.gradient_checkpointing in ("auto", "on", "off"), "gradient_checkpointing: auto, on or off")
        require(bool(self.target_modules), "target_modules must not be empty")
        require(self.top_layers >= 0, "top_layers must be >= 0")
        require(0.0 <= self.warmup_ratio < 1.0, "warmup_ratio must be in [0, 1)")


def collate(batch: Sequence[dict[str, Any]], pad_id: int = 0, multiple_of: int = 1) -> dict[str, Any]:
    """Pad a batch to its longest sequence (rounded up to ``multiple_of``).

    >>> out = collate([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8], "labels": [8]}])
    >>> out["input_ids"].tolist(), out["labels"].tolist(), out["attention_mask"].tolist()
    ([[5, 6, 7], [8, 0, 0]], [[-100, 6, 7], [8, -100, -100]], [[1, 1, 1], [1, 0, 0]])
    """
    import torch

    longest = max(len(item["input_ids"]) for item in batch)
    width = int(math.ceil(longest / multiple_of) * multiple_of)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)  # [B, T]
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)  # [B, T]
    mask = torch.zeros((len(batch), width), dtype=torch.long)  # [B, T]
    for row, item in enumerate(batch):
        n = len(item["input_ids"])
        ids[row, :n] = torch.as_tensor(item["input_ids"], dtype=torch.long)
        labels[row, :n] = torch.as_tensor(item["labels"], dtype=torch.long)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def check_examples(examples: Sequence[dict[str, Any]], max_length: int) -> list[dict[str, Any]]:
    """Validate and truncate tokenised examples; drop those without any labelled token.

    >>> check_examples([{"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}], 2)
    [{'input_ids': [1, 2], 'labels': [-100, 2], 'length': 2}]
    """
    out = []
    for index, item in enumerate(examples):
        ids, labels = item.get("input_ids"), item.get("labels")
        if ids is None or labels is None or len(ids) != len(labels):
            raise InputError("needs 'input_ids' and 'labels' of equal length", record=index + 1)
        ids, labels = list(ids)[:max_length], list(labels)[:max_length]
        if any(label != IGNORE_INDEX for label in labels[1:]):
            out.append({"input_ids": ids, "labels": labels, "length": len(ids)})
    if not out:
        raise InputError("no training example has a labelled token (after truncation)")
    if len(out) < len(examples):
        logger.warning("dropped %d example(s) without labelled tokens", len(examples) - len(out))
    return out


def _device_and_dtype(config: LoraTrainConfig) -> tuple[str, Any]:
    from toolbench.models.hf_models import pick_device, pick_dtype

    device = pick_device(config.device or None)
    return device, pick_dtype(device, config.dtype or None)


def load_base_model(config: LoraTrainConfig, dtype: Any) -> Any:
    """The base causal LM named by ``config.model`` (embedded name, directory or GGUF)."""
    from toolbench.models.hf_models import load_pretrained

    return load_pretrained(config.model, dtype)


def add_lora(model: Any, config: LoraTrainConfig) -> Any:
    """Wrap ``model`` with fresh LoRA adapters on ``config.target_modules`` (seeded)."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    layers = None
    if config.top_layers:
        total = int(model.config.num_hidden_layers)
        layers = list(range(max(0, total - config.top_layers), total))
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=list(config.target_modules), task_type="CAUSAL_LM", bias="none",
                      layers_to_transform=layers)
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:
        raise ConfigError(f"cannot add LoRA to {config.model!r}: {exc}") from exc


def _training_arguments(config: LoraTrainConfig, out_dir: Path, device: str, dtype: Any) -> Any:
    """``TrainingArguments`` for this config (unknown keys for this transformers dropped)."""
    import torch
    from transformers import TrainingArguments

    from toolbench.models.hf_models import warmup_argument

    cuda = device.startswith("cuda")
    checkpointing = config.gradient_checkpointing == "on" or (config.gradient_checkpointing == "auto" and cuda)
    wanted = dict(
        output_dir=str(out_dir / CHECKPOINTS_DIR), per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum, learning_rate=config.learning_rate,
        num_train_epochs=config.epochs, max_steps=config.max_steps or -1, **warmup_argument(config.warmup_ratio),
        weight_decay=config.weight_decay, lr_scheduler_type=config.scheduler,
        seed=config.seed, data_seed=config.seed, logging_steps=config.logging_steps, logging_first_step=True,
        save_strategy="steps", save_steps=config.save_steps, save_total_limit=config.save_total_limit,
        report_to=[], disable_tqdm=True, remove_unused_columns=False, use_cpu=not cuda,
        bf16=dtype == torch.bfloat16, fp16=dtype == torch.float16, gradient_checkpointing=checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False}, include_num_input_tokens_seen="non_padding",
        group_by_length=config.group_by_length, dataloader_pin_memory=cuda,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        ddp_find_unused_parameters=False,
    )
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    if "activation_checkpointing" in fields:  # transformers >= 5 renamed it
        wanted["activation_checkpointing"] = wanted.pop("gradient_checkpointing")
        wanted["activation_checkpointing_kwargs"] = wanted.pop("gradient_checkpointing_kwargs")
    return TrainingArguments(**{k: v for k, v in wanted.items() if k in fields})


class _Dataset:
    """A list of tokenised examples as a map-style torch dataset."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]


def _throughput_callback(log_path: Path, is_main: bool) -> Any:
    """A TrainerCallback that logs loss and tokens/s to ``log_path`` and the logger."""
    from transformers import TrainerCallback

    class Throughput(TrainerCallback):
        def __init__(self) -> None:
            self.start = self.last_time = time.perf_counter()
            self.last_tokens = 0
            self.records: list[dict[str, Any]] = []

        def on_train_begin(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            self.last_tokens = state.num_input_tokens_seen

        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[no-untyped-def]
            now, tokens = time.perf_counter(), state.num_input_tokens_seen
            rate = (tokens - self.last_tokens) / max(now - self.last_time, 1e-9)
            self.last_time, self.last_tokens = now, tokens
            record = {"step": state.global_step, "tokens": tokens, "tokens_per_second": round(rate, 1),
                      **{k: v for k, v in (logs or {}).items() if isinstance(v, int | float)}}
            self.records.append(record)
            if is_main:
                from toolbench.store import append_jsonl

                append_jsonl(log_path, record)
                if "loss" in record:
                    logger.info("step %d loss %.4f %.0f tok/s", record["step"], record["loss"], rate)

    return Throughput()


def _peak_memory_mb(device: str) -> float:
    import resource
    import sys

    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def last_checkpoint(out_dir: str | Path) -> str | None:
    """The newest complete ``checkpoint-N`` under ``OUT/checkpoints`` (``None`` when there is none).

    The Trainer writes ``trainer_state.json`` last, so a checkpoint without a readable one was
    cut off by a kill while saving: it is skipped (the step is trained again) rather than
    resumed from, which would fail.
    """
    directory = Path(out_dir) / CHECKPOINTS_DIR
    if not directory.is_dir():
        return None
    complete: list[tuple[int, Path]] = []
    for path in directory.glob("checkpoint-*"):
        step = path.name.removeprefix("checkpoint-")
        if not (path.is_dir() and step.isdigit()):
            continue
        if _readable_json(path / "trainer_state.json"):
            complete.append((int(step), path))
        else:
            logger.warning("skipping %s: cut off while saving (no readable trainer_state.json)", path)
    return str(max(complete)[1]) if complete else None


def _readable_json(path: Path) -> bool:
    from toolbench.store import read_json

    try:
        read_json(path)
    except InputError:
        return False
    return True


def train_lora(
    examples: Sequence[dict[str, Any]],
    config: LoraTrainConfig,
    out_dir: str | Path,
    tokenizer: Any = None,
    resume: bool = True,
    *,
    model: Any = None,
) -> dict[str, Any]:
    """Train a LoRA adapter on tokenised ``examples``; return the metrics (also saved).

    ``model``: an already loaded base model (tests, custom architectures); by default
    ``config.model`` is loaded. ``tokenizer`` (optional) gives the pad id and is saved
    with the adapter.
    """
    from transformers import Trainer

    out = Path(out_dir)
    if resume and (out / METRICS_FILE).is_file() and (out / ADAPTER_DIR).is_dir():
        logger.info("%s is already trained; returning its metrics", out)
        return json.loads((out / METRICS_FILE).read_text(encoding="utf-8"))
    items = check_examples(examples, config.max_length)
    device, dtype = _device_and_dtype(config)
    base = model if model is not None else load_base_model(config, dtype)
    peft_model = add_lora(base, config)
    args = _training_arguments(config, out, device, dtype)
    pad_id = _pad_id(tokenizer, base)
    multiple = 8 if device.startswith("cuda") else 1
    callback = _throughput_callback(out / LOG_FILE, args.process_index == 0)
    trainer = Trainer(model=peft_model, args=args, train_dataset=_Dataset(items),
                      data_collator=lambda batch: collate(batch, pad_id, multiple), callbacks=[callback])
    _quiet(trainer)
    checkpoint = last_checkpoint(out) if resume else None
    if checkpoint:
        logger.info("resuming from %s", checkpoint)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    metrics = _metrics(result, trainer, callback, items, device, time.perf_counter() - started, checkpoint)
    if trainer.is_world_process_zero():
        _save_outputs(out, peft_model, tokenizer, config, metrics)
    return metrics


def _quiet(trainer: Any) -> None:
    """Drop the Trainer's stdout printer (we log through :mod:`logging` instead)."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)


def _pad_id(tokenizer: Any, model: Any) -> int:
    for value in (getattr(tokenizer, "pad_token_id", None), getattr(model.config, "pad_token_id", None),
                  getattr(model.config, "eos_token_id", None)):
        if isinstance(value, int):
            return value
    return 0


def _metrics(result: Any, trainer: Any, callback: Any, items: list[dict[str, Any]], device: str,
             seconds: float, checkpoint: str | None) -> dict[str, Any]:
    losses = [r["loss"] for r in callback.records if "loss" in r]
    tokens = int(trainer.state.num_input_tokens_seen)
    return {
        "train_loss": float(result.training_loss),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "steps": int(trainer.state.global_step),
        "examples": len(items),
        "label_tokens": sum(sum(1 for x in i["labels"] if x != IGNORE_INDEX) for i in items),
        "tokens_seen": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_second": round(tokens / seconds, 1) if seconds > 0 else None,
        "peak_memory_mb": round(_peak_memory_mb(device), 1),
        "device": device,
        "world_size": int(trainer.args.world_size),
        "resumed_from": checkpoint,
        "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
    }


def _save_outputs(out: Path, peft_model: Any, tokenizer: Any, config: LoraTrainConfig, metrics: dict[str, Any]) -> None:
    from toolbench.store import atomic_write_json

    peft_model.save_pretrained(str(out / ADAPTER_DIR))
    if tokenizer is not None:
        tokenizer.save_pretrained(str(out / ADAPTER_DIR))
    save_config(out, config, CONFIG_FILE)
    atomic_write_json(out / METRICS_FILE, metrics)


def read_train_config(run_dir: str | Path) -> LoraTrainConfig:
    """The :class:`LoraTrainConfig` saved in a training output directory."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise InputError("not a LoRA training directory (no train_config.json)", path=str(run_dir))
    data = json.loads(path.read_text(encoding="utf-8"))["config"]
    return LoraTrainConfig.from_dict(data)


def adapter_path(run_dir: str | Path) -> Path:
    """The adapter directory of a training output (or ``run_dir`` itself if it is one)."""
    run_dir = Path(run_dir)
    if (run_dir / "adapter_config.json").is_file():
        return run_dir
    if (run_dir / ADAPTER_DIR / "adapter_config.json").is_file():
        return run_dir / ADAPTER_DIR
    raise InputError("no LoRA adapter found (adapter_config.json)", path=str(run_dir))


def load_with_adapter(run_dir: str | Path, *, base: str | None = None, device: str | None = None) -> tuple[Any, Any]:
    """``(model, tokenizer)``: the base model of a training run with its adapter applied."""
    from toolbench.models.hf_models import load_causal_lm

    model_name = base or read_train_config(run_dir).model
    return load_causal_lm(model_name, device=device, adapter=adapter_path(run_dir))


def merge_adapter(run_dir: str | Path, out_dir: str | Path, *, base: str | None = None) -> Path:
    """Merge the adapter into its base model and save a plain transformers checkpoint."""
    model, tokenizer = load_with_adapter(run_dir, base=base, device="cpu")
    merged = model.merge_and_unload()
    out = Path(out_dir)
    merged.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    logger.info("merged model written to %s", out)
    return out
