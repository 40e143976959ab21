"""LoRA fine-tuning throughput: tokens/s, peak memory and (on CUDA) model FLOPs utilisation.

Both paths use the project's trainer (:func:`toolbench.training.lora.train_lora`) unchanged.

- ``cpu``: the embedded SmolLM2-135M (fp32) on real SFT data — gold solution paths of the
  built-in world's template instructions, tokenised with the chat template and
  assistant-only labels — for a few optimizer steps.
- ``cuda``: a LLaMA-7B-shaped model with random weights (bf16, gradient checkpointing) on
  random token sequences of ``--seq-len`` tokens. MFU counts the model FLOPs of LoRA
  training per token as ``4 N + 12 L T d`` (forward 2N, backward input-gradients 2N of the
  frozen base; attention scores both ways; LoRA's own weight gradients are negligible)
  over the GPU's dense bf16 peak (``--peak-tflops``, default from the device name).

- ``loop``: the fine-tuning loop measured — two planner runs on the same held-out
  queries (base model, base + adapter): valid tool-call rate, finish rate, exact pass
  rate, and win rate of the adapter over the base (from the exact verdicts: a win is a
  query only the adapter solves; ties count half).

Usage::

    python benchmarks/finetune.py cpu --steps 3 --batch-size 2
    python benchmarks/finetune.py cuda --steps 10 --batch-size 4 --seq-len 2048
    python benchmarks/finetune.py loop --base runs/base --tuned runs/lora --queries heldout.jsonl
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
    from toolbench.models.hf_models import load_tokenizer

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
    from toolbench.training.lora import LoraTrainConfig, train_lora

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

    from toolbench.training.lora import LoraTrainConfig, train_lora

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


INVALID_CALL = (1, 2)  # ObservationStatus NO_SUCH_FUNCTION, INVALID_INPUT


def call_validity(trajectory: Any) -> tuple[int, int]:
    """(valid replies, replies) on a path: a reply is valid when it calls an offered function
    with arguments the executor accepted (``Finish`` included); text without a call, unknown
    functions and rejected arguments are invalid."""
    valid = total = 0
    for step in trajectory.steps:
        total += 1
        obs = step.observation
        if step.action is not None and obs is not None and int(obs.status) not in INVALID_CALL:
            valid += 1
    return valid, total


def run_metrics(run: Path, queries: list[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    from evaluator.exact import judge_exact
    from toolbench.store.run_io import read_run

    trajectories = read_run(run)
    verdicts = {v.query_id: v.label for v in judge_exact(trajectories, queries)}
    counts = [call_validity(t) for t in trajectories]
    valid, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
    group_of = {q.query_id: q.group or "all" for q in queries}
    by_group: dict[str, list[bool]] = {}
    for t in trajectories:
        by_group.setdefault(group_of.get(t.query_id, "all"), []).append(verdicts.get(t.query_id) == "correct")
    return {
        "queries": len(trajectories),
        "valid_call_rate": round(valid / total, 3) if total else None,
        "finish_rate": round(sum(t.gave_answer for t in trajectories) / len(trajectories), 3),
        "pass_rate_exact": round(sum(v == "correct" for v in verdicts.values()) / len(trajectories), 3),
        "pass_rate_exact_by_group": {g: f"{sum(v)}/{len(v)} = {sum(v) / len(v):.3f}"
                                     for g, v in sorted(by_group.items())},
        "llm_calls": sum(t.usage.llm_calls for t in trajectories),
    }, verdicts


def run_loop(args: argparse.Namespace) -> dict[str, Any]:
    """Base vs adapter on the same held-out queries: valid calls, exact pass rate, win rate."""
    from toolbench.catalog.queries import load_queries

    queries = load_queries(args.queries)
    base, base_verdicts = run_metrics(args.base, queries)
    tuned, tuned_verdicts = run_metrics(args.tuned, queries)
    wins = ties = losses = 0
    for query_id in sorted(set(base_verdicts) & set(tuned_verdicts)):
        a, b = tuned_verdicts[query_id] == "correct", base_verdicts[query_id] == "correct"
        wins, ties, losses = wins + (a and not b), ties + (a == b), losses + (b and not a)
    n = wins + ties + losses
    result = {"path": "loop", "base": base, "tuned": tuned,
              "win_rate_tuned_vs_base": round((wins + ties / 2) / n, 3) if n else None,
              "wins_ties_losses": [wins, ties, losses]}
    if args.train_metrics:
        result["training"] = json.loads(args.train_metrics.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", choices=["cpu", "cuda", "loop"])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=1024, help="cpu: truncate SFT examples")
    parser.add_argument("--top-layers", type=int, default=0, help="cpu: LoRA on the last N layers only")
    parser.add_argument("--seq-len", type=int, default=2048, help="cuda: tokens per sequence")
    parser.add_argument("--layers", type=int, default=0, help="cuda: fewer layers than 32 (smaller GPUs)")
    parser.add_argument("--peak-tflops", type=float, default=None, help="cuda: the GPU's dense bf16 peak")
    parser.add_argument("--base", type=Path, help="loop: run directory planned with the base model")
    parser.add_argument("--tuned", type=Path, help="loop: run directory planned with base + adapter")
    parser.add_argument("--queries", type=Path, help="loop: the held-out queries (with expected answers)")
    parser.add_argument("--train-metrics", type=Path, default=None, help="loop: the adapter's metrics.json")
    parser.add_argument("--out", type=Path, default=None, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runner = {"cpu": run_cpu, "cuda": run_cuda, "loop": run_loop}[args.path]
    result = runner(args)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
