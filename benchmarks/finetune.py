"""LoRA fine-tuning throughput: tokens/s, peak memory and (on CUDA) model FLOPs utilisation.

Both paths use the project's trainer (:func:`toolbench.lora.train_lora`) unchanged.

- ``cpu``: the embedded SmolLM2-135M (fp32) on real SFT data — gold solution paths of the
  built-in world's template instructions, tokenised with the chat template and
  assistant-only labels — for a few optimizer steps.
- ``cuda``: a LLaMA-7B-shaped model with random weights (bf16, gradient checkpointing) on
  random token sequences of ``--seq-len`` tokens. MFU counts the model FLOPs of LoRA
  training per token as ``4 N + 12 L T d`` (forward 2N, backward input-gradients 2N of the
  frozen base; attention scores both ways; LoRA's own weight gradients are negligible)
  over the GPU's dense bf16 peak (``--peak-tflops``, default from the device name).

Usage::

    python benchmarks/finetune.py cpu --steps 3 --batch-size 2
    python benchmarks/finetune.py cuda --steps 10 --batch-size 4 --seq-len 2048
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# benchmarks/planner.py would shadow the planner package when this script's folder is on sys.path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "4090": 165.0}
LLAMA_7B = {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
            "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 4096}


def sft_items(max_length: int, count: int) -> list[dict[str, Any]]:
    """Tokenised SFT examples: gold paths of built-in template instructions (SmolLM2 template)."""
    from data.builtin_templates import generate_builtin_instructions
    from data.gold_paths import gold_trajectories
    from data.sft import trajectories_to_examples
    from data.sft_tokenize import tokenize_examples
    from planner.prompting import build_task
    from toolbench.builtin_world import builtin_catalog, builtin_executor
    from toolbench.hf_models import load_tokenizer

    catalog = builtin_catalog()
    executor = builtin_executor(catalog)
    queries = generate_builtin_instructions({"G1": count, "G2": 0, "G3": 0}, heldout_fraction=0.0, catalog=catalog,
                                            executor=executor)["train"]

    def opening(query: Any) -> tuple[list[Any], list[dict[str, Any]]]:
        task = build_task(catalog, list(query.api_ids), query.query, "default")
        return list(task.messages), list(task.tools)

    examples, _ = trajectories_to_examples(gold_trajectories(queries, executor, opening))
    return tokenize_examples(examples, load_tokenizer("smollm2"), max_length=max_length)


def run_cpu(args: argparse.Namespace) -> dict[str, Any]:
    from toolbench.lora import LoraTrainConfig, train_lora

    items = sft_items(args.max_length, max(args.steps * args.batch_size, 4))
    config = LoraTrainConfig(model="smollm2", max_steps=args.steps, batch_size=args.batch_size, device="cpu",
                             logging_steps=1, save_steps=10_000, top_layers=args.top_layers, group_by_length=False)
    with tempfile.TemporaryDirectory() as tmp:
        metrics = train_lora(items, config, Path(tmp) / "run")
    return {"path": "cpu", "model": "SmolLM2-135M-Instruct (fp32)", "top_layers": args.top_layers,
            "mean_tokens_per_example": round(sum(len(i["input_ids"]) for i in items) / len(items), 1), **metrics}


def peak_tflops(name: str, given: float | None) -> float | None:
    """The dense bf16 peak of a GPU by name (``None`` when unknown and not given).

    >>> peak_tflops("NVIDIA H100 80GB HBM3", None), peak_tflops("Mystery GPU", 100.0)
    (989.0, 100.0)
    """
    if given:
        return given
    return next((v for k, v in PEAK_TFLOPS.items() if k in name), None)


def run_cuda(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from toolbench.lora import LoraTrainConfig, train_lora

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: the cuda path needs a GPU (run the cpu path here)")
    shape = dict(LLAMA_7B, num_hidden_layers=args.layers or LLAMA_7B["num_hidden_layers"])
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(LlamaConfig(**shape))  # random weights, bf16
    torch.set_default_dtype(torch.float32)
    n_params = sum(p.numel() for p in model.parameters())
    rng = random.Random(0)
    count = args.steps * args.batch_size
    items = [{"input_ids": (ids := [rng.randrange(3, shape["vocab_size"]) for _ in range(args.seq_len)]),
              "labels": ids} for _ in range(count)]
    config = LoraTrainConfig(model="llama-7b-random", max_steps=args.steps, batch_size=args.batch_size, device="cuda",
                             dtype="bfloat16", logging_steps=1, save_steps=10_000, max_length=args.seq_len,
                             group_by_length=False)
    torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as tmp:
        metrics = train_lora(items, config, Path(tmp) / "run", model=model)
    flops_per_token = 4 * n_params + 12 * shape["num_hidden_layers"] * args.seq_len * shape["hidden_size"]
    name = torch.cuda.get_device_name()
    peak = peak_tflops(name, args.peak_tflops)
    achieved = metrics["tokens_per_second"] * flops_per_token / 1e12
    return {"path": "cuda", "device_name": name, "model": f"LLaMA-7B-shaped random ({n_params / 1e9:.2f} B params)",
            "seq_len": args.seq_len, "achieved_tflops": round(achieved, 1),
            "mfu": round(achieved / peak, 3) if peak else None, **metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=1024, help="cpu: truncate SFT examples")
    parser.add_argument("--top-layers", type=int, default=0, help="cpu: LoRA on the last N layers only")
    parser.add_argument("--seq-len", type=int, default=2048, help="cuda: tokens per sequence")
    parser.add_argument("--layers", type=int, default=0, help="cuda: fewer layers than 32 (smaller GPUs)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="cuda: the GPU's dense bf16 peak")
    parser.add_argument("--out", type=Path, default=None, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_cpu(args) if args.path == "cpu" else run_cuda(args)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
