"""Self-training benchmark: how many verified solution paths does each search method find?

A tuned student (default ``hf:smollm2-tools``) plans ``--instructions`` FRESH built-in
template instructions (seed ``--seed``; never an evaluation instruction, never one of the
shipped adapter's training instructions, i.e. the default ``[train]`` templates) with each
method at the same LLM-call budget per instruction (``--budget``):

- ``dfsdt-w2``, ``dfsdt-w3``: DFSDT, width 2 and 3 (greedy decoding, the diversity prompt
  makes siblings differ);
- ``cot``: CoT@n with n = budget (chains until one answers or the budget is spent), greedy
  (the hf backend seeds sampling per call, so greedy chains repeat each other: a floor);
- ``cot-sampled``: CoT@n with ``--cot-temperature`` and a different seed for every chain
  (a fair CoT@n: independent chains).

Every path is checked by :mod:`evaluator.verify` (exact answer + grounding + no stale value
+ no repeated failed call). The table gives, per method: verified paths per instruction,
LLM calls, verified paths per 100 LLM calls, and the exact-correct answers before the
grounding checks (what verification removes). The toolset offered is the one the student
saw in training: the dense top ``--k`` with any missing gold API swapped in.

    nice -n 19 python benchmarks/self_training.py --instructions 12 --budget 8 --out runs/bench-selftrain
    python benchmarks/self_training.py --model hf:smollm2 --instructions 3 --budget 4 --methods dfsdt-w2,cot
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolbench.models.base import ChatModel  # noqa: E402
from toolbench.types import AssistantMessage, Message, Query  # noqa: E402

METHODS = ("dfsdt-w2", "dfsdt-w3", "cot", "cot-sampled")


class SeedPerChain(ChatModel):
    """Gives every CoT chain its own sampling seed: the n-th call on a conversation that has
    no assistant turn yet (a chain's start) gets seed n; later calls a seed from the
    conversation, so each chain is reproducible and chains differ."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner, self.name = inner, getattr(inner, "name", "")
        self.starts: dict[str, int] = {}
        self.lock = threading.Lock()

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        from toolbench.catalog.names import stable_hash
        from toolbench.jsonutil import canonical_json

        key = stable_hash(canonical_json([m.to_dict() for m in messages]))
        if not any(m.role == "assistant" for m in messages):
            with self.lock:
                self.starts[key] = self.starts.get(key, -1) + 1
                seed = self.starts[key]
        else:
            seed = int(key, 16) % 2**31
        return self.inner.generate(messages, tools, **{**opts, "seed": seed})

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "seed": "per chain"}

    @property
    def concurrency_hint(self) -> int:
        return int(getattr(self.inner, "concurrency_hint", 1))


def fresh_instructions(total: int, seed: int, exclude_training: bool) -> list[Query]:
    """``total`` template instructions split over G1/G2/G3 like the default [train] counts."""
    from data.builtin_templates import evaluation_queries, generate_builtin_instructions
    from toolbench.app.rounds import fresh_instructions as keep_fresh
    from toolbench.app.rounds import round_counts
    from toolbench.app.training import TrainSection

    defaults = TrainSection()
    counts = round_counts(defaults.counts, total)
    earlier: list[Query] = []
    if exclude_training:
        earlier = generate_builtin_instructions(dict(defaults.counts), seed=defaults.seed, heldout_fraction=0.0,
                                                exclude=evaluation_queries())["train"]
    candidates = generate_builtin_instructions({g: 2 * n + 4 for g, n in counts.items() if n}, seed=seed,
                                               heldout_fraction=0.0, exclude=evaluation_queries())["train"]
    return keep_fresh(candidates, earlier, counts, 0)


def offered(queries: list[Query], catalog: Any, out: Path, k: int) -> list[Query]:
    """Each instruction with the dense top ``k`` plus its gold APIs (the training toolset)."""
    from retriever import build_index, load_index
    from toolbench.app.training import training_toolset

    directory = out / "index"
    index = load_index(directory) if (directory / "index.json").is_file() else build_index(catalog, directory,
                                                                                          "dense")
    hits = index.retrieve_many([q.query for q in queries], k)
    return [Query.from_dict({**q.to_dict(), "api_ids": training_toolset([a for a, _ in found],
                                                                         list(q.relevant_api_ids), k)})
            for q, found in zip(queries, hits, strict=True)]


def planner_options(method: str, budget: int, max_actions: int, prompt: str, temperature: float) -> dict[str, Any]:
    base = {"max_llm_calls": budget, "max_actions": max_actions, "prompt": prompt}
    if method.startswith("dfsdt"):
        return {**base, "method": "dfsdt", "width": int(method.rsplit("w", 1)[1])}
    options = {**base, "method": "cot", "n_chains": budget}
    return {**options, "temperature": temperature} if method == "cot-sampled" else options


def exact_correct(directory: Path, queries: list[Query]) -> int:
    from evaluator.api import judge_exact
    from toolbench.store.run_io import read_run

    return sum(v.label == "correct" for v in judge_exact(read_run(directory), queries))


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from toolbench.app.solutions import plan_solutions
    from toolbench.builtin_world import builtin_catalog, builtin_executor
    from toolbench.models import load_chat_model

    out = Path(args.out)
    catalog = builtin_catalog()
    executor = builtin_executor(catalog)
    queries = offered(fresh_instructions(args.instructions, args.seed, not args.include_training), catalog, out,
                      args.k)
    options = dict(item.split("=", 1) for item in args.model_option)
    model = load_chat_model(args.model, cache=str(out / "llm_cache.sqlite"), **options)  # shared: equal calls run once
    rows = []
    try:
        for method in args.methods.split(","):
            chat = SeedPerChain(model) if method == "cot-sampled" else model
            planner = planner_options(method, args.budget, args.max_actions, args.prompt, args.cot_temperature)
            start = time.perf_counter()
            record = plan_solutions(queries, catalog, chat, executor, planner, out / method)
            seconds = time.perf_counter() - start
            kept, calls = len(record["kept"]), record["llm_calls"]
            rows.append({"method": method, "instructions": len(queries), "verified": kept,
                         "verified_per_instruction": round(kept / len(queries), 3), "llm_calls": calls,
                         "verified_per_100_calls": round(100 * kept / calls, 2) if calls else 0.0,
                         "exact_correct": exact_correct(out / method, queries),
                         "rejected_by": record["counts"]["rejected_by"], "seconds": round(seconds, 1)})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        executor.close()
        getattr(model, "close", lambda: None)()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| method | verified / instr. | LLM calls | verified / 100 calls | exact-correct | seconds |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['verified']}/{r['instructions']} ({r['verified_per_instruction']:.2f}) "
                     f"| {r['llm_calls']} | {r['verified_per_100_calls']:.1f} | {r['exact_correct']} "
                     f"| {r['seconds']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="hf:smollm2-tools")
    parser.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="Backend option, e.g. adapter=DIR (repeatable).")
    parser.add_argument("--instructions", type=int, default=12)
    parser.add_argument("--budget", type=int, default=8, help="LLM calls per instruction, every method.")
    parser.add_argument("--max-actions", type=int, default=4)
    parser.add_argument("--prompt", default="compact")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7001)
    parser.add_argument("--cot-temperature", type=float, default=0.7)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--include-training", action="store_true",
                        help="Do not leave out the default [train] instructions.")
    parser.add_argument("--out", default="runs/bench-self-training")
    args = parser.parse_args(argv)
    rows = run(args)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "self_training.json").write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
