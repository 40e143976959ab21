"""Benchmark: the evaluator on the shared data (2-core CPU, no LLM unless --model is given).

- AST checker: every BFCL v4 ground truth scored as a model output (must be 100%), items/s.
- Rules: ToolEval rules over the 300 published ChatGPT-CoT answers (how many need no LLM).
- Judging + report: pass verdicts from a deterministic keyword judge (at the ChatModel
  seam) with 3 judgings over those 300 answers, report build + write (json/md/html), and
  a check that a second write is byte-identical.
- Optional: ``--model hf:smollm2 --limit 4`` runs a real model on BFCL (accuracy per category).

    python benchmarks/evaluation.py
    python benchmarks/evaluation.py --model hf:smollm2 --limit 4
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from evaluator import api, bfcl
from evaluator.ast_check import check_item, ground_truth_output
from evaluator.inputs import load_run
from evaluator.pass_rate import PassConfig, judge_pass
from evaluator.report import RunResult, build_report, write_report
from evaluator.rules import rule_reason
from evaluator.structured import StructuredAsker
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message, ToolCall, Usage

ROOT = Path(__file__).resolve().parent.parent


class KeywordJudge(ChatModel):
    """Deterministic stand-in judge: Solved when the answer is long and has no apology."""

    name = "keyword"

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        final = (messages[-1].content or "").split("Final answer:")[-1].split("Decide the")[0]
        bad = any(w in final.lower() for w in ("sorry", "unable", "cannot", "unfortunately"))
        status = "Unsolved" if bad else ("Solved" if len(final) > 200 else "Unsure")
        args = {"answer_status": status, "reason": "keyword rule"}
        name = tools[0]["function"]["name"] if tools else "check_answer_status"
        return AssistantMessage(None, [ToolCall("j", name, args)], Usage(llm_calls=1))


def bench_ast(data: Path) -> None:
    total, valid, start = 0, 0, time.perf_counter()
    for path in bfcl.question_files(data / "bfcl"):
        for item in bfcl.read_items(path):
            output = ground_truth_output(item.ground_truth or [], item.functions)
            valid += check_item(item.functions, output, item.ground_truth, item.category).valid
            total += 1
    seconds = time.perf_counter() - start
    print(f"AST ground truth: {valid}/{total} valid ({100 * valid / total:.1f}%), {total / seconds:,.0f} items/s")


def bench_rules_and_report(data: Path) -> None:
    runs = [load_run(p) for p in sorted((data / "stabletoolbench/predictions/gpt-3.5-turbo_CoT").glob("G1_*.json"))]
    trajectories = [t for r in runs for t in r.trajectories]
    by_rule = sum(rule_reason(t) is not None for t in trajectories)
    print(f"rules: {by_rule}/{len(trajectories)} published CoT answers Unsolved by rule (no LLM call)")
    start = time.perf_counter()
    results = [RunResult(r.name, judge_pass(r.trajectories, StructuredAsker(KeywordJudge()), PassConfig(judgings=3)),
                         r.trajectories) for r in runs]
    judged = time.perf_counter() - start
    groups = {q: g for r in runs for q, g in r.groups().items()}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = build_report("pass", results, groups)
        write_report(Path(tmp) / "a", report, results)
        written = time.perf_counter() - start
        write_report(Path(tmp) / "b", build_report("pass", results, groups), results)
        same = all((Path(tmp) / "a" / n).read_bytes() == (Path(tmp) / "b" / n).read_bytes()
                   for n in ("report.json", "report.md", "report.html"))
    print(f"judging 3x{len(trajectories)} (keyword judge, rules first): {judged:.2f} s; "
          f"report build+write: {written:.2f} s; byte-identical rewrite: {same}")
    for name, m in report.metrics.items():
        print(f"  {name}: SoPR {100 * m['mean']:.1f} ± {100 * m['std']:.1f} "
              f"(CI {100 * m['ci_low']:.1f}-{100 * m['ci_high']:.1f}), by rule {m['by_rule']}")


def bench_model(data: Path, model: str, limit: int) -> None:
    start = time.perf_counter()
    items, _, verdicts, usage = api.bench_bfcl(model, data / "bfcl", limit=limit)
    seconds = time.perf_counter() - start
    per_cat: dict[str, list[int]] = {}
    for item, v in zip(items, verdicts, strict=True):
        per_cat.setdefault(item.category, []).append(v.label == "correct")
    overall = sum(v.label == "correct" for v in verdicts) / len(verdicts)
    print(f"BFCL {model}, {len(items)} items ({limit}/file): accuracy {100 * overall:.1f}%, "
          f"{seconds / len(items):.1f} s/item, {usage.total_tokens} tokens")
    for cat, oks in sorted(per_cat.items()):
        print(f"  {cat}: {sum(oks)}/{len(oks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", default=None, help="also run this model on BFCL, e.g. hf:smollm2")
    parser.add_argument("--limit", type=int, default=4)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_version()}")
    bench_ast(args.data)
    bench_rules_and_report(args.data)
    if args.model:
        bench_model(args.data, args.model, args.limit)


if __name__ == "__main__":
    main()
