"""Toolformer measurements on GSM8K (../shared/data/gsm8k/train.jsonl) with the embedded SmolLM2.

    python benchmarks/toolformer.py filter --docs 120 --out /tmp/toolformer_filter.json
    python benchmarks/toolformer.py e2e --docs 10 --out /tmp/toolformer_e2e.json
    python benchmarks/toolformer.py speed --docs 3 --out /tmp/toolformer_speed.json

filter: gold calls at gold positions and three controls per gold call (same call with a
wrong result; the gold call at another position; an unrelated call from another
problem), keep rates at τ_f ∈ {0.25, 0.5, 1, 2} and the AUC of L- - L+.
e2e: sample → execute (built-in calculator) → filter with the paper's calculator
settings; precision/recall of kept calls against the gold positions.
speed: batched scorer vs one full forward pass per candidate; sampling with and
without prompt-cache reuse.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.toolformer.annotate import (  # noqa: E402
    Document,
    annotate_document,
    execute_candidates,
    loss_requests,
)
from data.toolformer.config import AnnotateConfig, paper_tool  # noqa: E402
from data.toolformer.filtering import best_per_position, loss_weights  # noqa: E402
from data.toolformer.gsm8k import GoldCall, gold_position, gsm8k_document  # noqa: E402
from data.toolformer.linearise import Call  # noqa: E402
from data.toolformer.scoring import CausalLM  # noqa: E402
from data.toolformer.tools import builtin_runner  # noqa: E402

GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "train.jsonl"
TAUS = (0.25, 0.5, 1.0, 2.0)


def load_gsm8k(n: int, skip: int = 0, text: str = "full") -> list[tuple]:
    with GSM8K.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(skip + n), handle, strict=False)]
    if text == "answer":
        rows = [{"question": "", "answer": r["answer"]} for r in rows]
        return [_drop_head(gsm8k_document(r, skip + i)) for i, r in enumerate(rows[skip:])]
    return [gsm8k_document(r, skip + i) for i, r in enumerate(rows[skip:])]


def _drop_head(pair: tuple) -> tuple:
    doc, golds = pair
    return (Document(doc.id, doc.text[1:]),
            [GoldCall(g.start - 1, g.end - 1, g.expression, g.result) for g in golds])


def at_result(offsets: list, gold: GoldCall) -> int | None:
    """The token holding the result's first character (``--position result``)."""
    return next((i for i, (b, e) in enumerate(offsets) if b <= gold.end < e), None)


def auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg)) if pos and neg else float("nan")


def wrong_result(result: str, rng: random.Random) -> str:
    try:
        value = float(result)
    except ValueError:
        return result + "1"
    delta = rng.choice([1, 2, 3, 4, 5, 10]) * rng.choice([-1, 1])
    wrong = value + delta if value + delta >= 0 else value - delta
    return str(int(wrong)) if wrong == int(wrong) else f"{wrong:.2f}".rstrip("0")


def _context_groups(cases: list[tuple], context_tokens: int) -> list[tuple[int, list[tuple]]]:
    """Cases grouped by where their scored text starts: the whole document (0, the paper) or
    ``context_tokens`` before each case's position (an ablation: the prefix sits closer).

    >>> _context_groups([("a", 5, "c"), ("b", 9, "c")], 0)
    [(0, [('a', 5, 'c'), ('b', 9, 'c')])]
    >>> _context_groups([("a", 5, "c"), ("b", 9, "c")], 8)
    [(0, [('a', 5, 'c')]), (1, [('b', 9, 'c')])]
    """
    if context_tokens <= 0:
        return [(0, list(cases))]
    return [(max(0, pos - context_tokens), [(kind, pos, call)]) for kind, pos, call in cases]


def filter_study(lm: CausalLM, args: argparse.Namespace) -> dict:
    docs = load_gsm8k(args.docs, text=args.text)
    weights, cfg = loss_weights(), AnnotateConfig()
    locate = at_result if args.position == "result" else gold_position
    gains: dict[str, list[float]] = {"gold": [], "wrong_result": [], "other_position": [], "unrelated_call": []}
    versus_none: dict[str, list[float]] = {k: [] for k in gains}
    gold_no_call_loss: list[float] = []
    started = time.perf_counter()
    for index, (doc, golds) in enumerate(docs):
        rng = random.Random(index)
        ids, offsets = lm.encode(doc.text)
        positions = [locate(offsets, g) for g in golds]
        cases = []
        gold_tokens = {p for p in positions if p is not None}
        free = [i for i in range(1, len(ids) - 1) if i not in gold_tokens]
        other_doc = docs[(index + 1) % len(docs)][1]
        for gold, pos in list(zip(golds, positions, strict=True))[: args.max_gold]:
            if pos is None or pos < 1:
                continue
            call = gold.call()
            cases.append(("gold", pos, call))
            cases.append(("wrong_result", pos, Call(call.tool, call.input, wrong_result(call.result, rng))))
            cases.append(("other_position", rng.choice(free), call))
            unrelated = [g.call() for g in other_doc if g.result != gold.result]
            if unrelated:
                cases.append(("unrelated_call", pos, rng.choice(unrelated)))
        losses = []
        for start, group in _context_groups(cases, args.context_tokens):
            requests = loss_requests(lm, [(pos - start, call) for _, pos, call in group], cfg.markers)
            losses += lm.weighted_losses(ids[start:], requests, weights)
        for n, (kind, _, _) in enumerate(cases):
            l_plus, l_none, l_bare = losses[3 * n : 3 * n + 3]
            gains[kind].append(min(l_none, l_bare) - l_plus)
            versus_none[kind].append(l_none - l_plus)
            if kind == "gold":
                gold_no_call_loss.append(l_none)
        if (index + 1) % 10 == 0:
            print(f"  {index + 1}/{len(docs)} documents, {time.perf_counter() - started:.0f} s", flush=True)
    controls = [g for k, v in gains.items() if k != "gold" for g in v]
    return {
        "documents": len(docs), "seconds": round(time.perf_counter() - started, 1),
        "counts": {k: len(v) for k, v in gains.items()},
        "keep_rate": {k: {str(t): round(sum(g >= t for g in v) / len(v), 4) for t in TAUS} for k, v in gains.items()},
        "median_gain": {k: round(statistics.median(v), 4) for k, v in gains.items()},
        "auc_gold_vs_all_controls": round(auc(gains["gold"], controls), 4),
        "auc_gold_vs": {k: round(auc(gains["gold"], v), 4) for k, v in gains.items() if k != "gold"},
        "headroom": headroom(gains["gold"], gold_no_call_loss, controls),
        "diagnostic_L_nocall_minus_L_plus": {
            "median": {k: round(statistics.median(v), 4) for k, v in versus_none.items()},
            "auc_gold_vs_all_controls": round(auc(versus_none["gold"],
                                                  [g for k, v in versus_none.items() if k != "gold" for g in v]), 4),
            "keep_rate": {k: {str(t): round(sum(g >= t for g in v) / len(v), 4) for t in TAUS}
                          for k, v in versus_none.items()},
        },
    }


def headroom(gold_gains: list[float], gold_no_call_loss: list[float], controls: list[float]) -> dict:
    """How much a gold call *could* gain: a call cannot lower L below 0, so where the model
    already predicts the following tokens without it (small no-call loss) its gain is ~0.
    Reports the share of gold calls under each no-call loss and the AUC on the others.

    >>> headroom([0.0, 2.0], [0.1, 3.0], [0.5])["auc_gold_vs_all_controls"]["no_call_loss>=1.0"]
    1.0
    """
    out: dict = {"share_no_call_loss_below": {}, "auc_gold_vs_all_controls": {}}
    for limit in TAUS:
        out["share_no_call_loss_below"][str(limit)] = round(
            sum(loss < limit for loss in gold_no_call_loss) / max(len(gold_no_call_loss), 1), 4)
        kept = [g for g, loss in zip(gold_gains, gold_no_call_loss, strict=True) if loss >= limit]
        out["auc_gold_vs_all_controls"][f"no_call_loss>={limit}"] = round(auc(kept, controls), 4)
    return out


def e2e_study(lm: CausalLM, args: argparse.Namespace) -> dict:
    tool = paper_tool("calculator", top_k=args.top_k, samples=args.samples)
    cfg = AnnotateConfig(tools=(tool,), prompt_cache=True)
    runner = builtin_runner(cfg.tools)
    docs = load_gsm8k(args.docs, skip=args.skip)
    totals = {"kept": 0, "kept_at_gold": 0, "kept_correct_result": 0, "gold": 0, "gold_found": 0, "sampled": 0,
              "malformed": 0, "executed": 0, "failed": 0, "duplicates": 0, "tokens": 0, "seconds": 0.0}
    examples, curve = [], {t: [0, 0, 0] for t in (0.0, 0.1) + TAUS}  # kept, kept at gold, golds found
    for doc, golds in docs:
        result = annotate_document(lm, runner, doc, cfg)
        for tau, counts in curve.items():
            kept_here = best_per_position(result.scored, tau)
            at_gold = [[n for n, g in enumerate(golds) if g.contains(result.offsets[k.position])] for k in kept_here]
            counts[0] += len(kept_here)
            counts[1] += sum(bool(m) for m in at_gold)
            counts[2] += len({n for m in at_gold for n in m})
        hits = set()
        for kept in result.kept:
            offset = result.offsets[kept.position]
            match = [n for n, g in enumerate(golds) if g.contains(offset)]
            totals["kept_at_gold"] += bool(match)
            totals["kept_correct_result"] += any(golds[n].result == kept.call.result for n in match)
            hits.update(match)
        s = result.sampling
        totals.update({k: totals[k] + v for k, v in (
            ("kept", len(result.kept)), ("gold", len(golds)), ("gold_found", len(hits)), ("sampled", s.sampled),
            ("malformed", s.malformed), ("duplicates", s.duplicates), ("executed", result.executed),
            ("failed", result.failed), ("tokens", result.tokens), ("seconds", result.seconds))})
        examples.append(result.augmented_text(cfg.markers))
        print(f"  {doc.id}: kept {len(result.kept)}, {result.seconds:.0f} s", flush=True)
    parsed = totals["sampled"] - totals["malformed"]
    return {
        "documents": len(docs), "settings": {"top_k": tool.top_k, "samples": tool.samples, "tau_s": tool.tau_s,
                                             "tau_f": tool.tau_f},
        **totals,
        "precision": round(totals["kept_at_gold"] / totals["kept"], 4) if totals["kept"] else None,
        "recall": round(totals["gold_found"] / totals["gold"], 4) if totals["gold"] else None,
        "parse_rate": round(parsed / totals["sampled"], 4) if totals["sampled"] else None,
        "parse_and_execute_rate": round(totals["executed"] / totals["sampled"], 4) if totals["sampled"] else None,
        "execute_rate_of_distinct_parsed": round(totals["executed"] / (totals["executed"] + totals["failed"]), 4)
        if totals["executed"] + totals["failed"] else None,
        "calls_per_1000_tokens": round(1000 * totals["kept"] / totals["tokens"], 3),
        "seconds_per_document": round(totals["seconds"] / len(docs), 2),
        "by_tau_f": {str(t): {"kept": k, "precision": round(a / k, 4) if k else None,
                             "recall": round(f / totals["gold"], 4) if totals["gold"] else None,
                             "calls_per_1000_tokens": round(1000 * k / totals["tokens"], 3)}
                     for t, (k, a, f) in curve.items()},
        "examples": examples[:3],
    }


def _time_scorers(lm: CausalLM, ids: list[int], placed: list[tuple[int, Call]], cfg: AnnotateConfig,
                  totals: dict) -> None:
    """Score ``placed`` (position, executed call) with the batched scorer and the oracle."""
    weights = loss_weights()
    requests = loss_requests(lm, placed, cfg.markers)
    if not requests:
        return
    t0 = time.perf_counter()
    fast = lm.weighted_losses(ids, requests, weights)
    t1 = time.perf_counter()
    slow = lm.oracle_losses(ids, requests, weights)
    t2 = time.perf_counter()
    totals["batched"] += t1 - t0
    totals["oracle"] += t2 - t1
    totals["candidates"] += len(placed)
    totals["diffs"] += [abs(a - b) for a, b in zip(fast, slow, strict=True)]


def _scorer_row(totals: dict) -> dict:
    if not totals["candidates"]:
        return {"candidates": 0}
    return {"candidates": totals["candidates"],
            "batched_candidates_per_second": round(totals["candidates"] / totals["batched"], 2),
            "oracle_candidates_per_second": round(totals["candidates"] / totals["oracle"], 2),
            "speedup": round(totals["oracle"] / totals["batched"], 2),
            "max_abs_loss_difference": max(totals["diffs"])}


def speed_study(lm: CausalLM, args: argparse.Namespace) -> dict:
    """Scorer speed on gold calls and on the sampler's real candidates; sampling with/without cache.

    The oracle is one full forward pass (all logits) per loss: L+, L(no call) and
    L(call without result) of every candidate.
    """
    from data.toolformer.sampling import sample_calls

    docs = load_gsm8k(args.docs, skip=args.skip)
    cfg = AnnotateConfig()
    tool = paper_tool("calculator", top_k=args.top_k, samples=args.samples)
    runner = builtin_runner((tool,))
    gold = {"batched": 0.0, "oracle": 0.0, "candidates": 0, "diffs": []}
    sampled = {"batched": 0.0, "oracle": 0.0, "candidates": 0, "diffs": []}
    sampling = {"with_cache": 0.0, "without_cache": 0.0}
    for doc, golds in docs:
        ids, offsets = lm.encode(doc.text)
        cases = [(gold_position(offsets, g), g.call()) for g in golds]
        _time_scorers(lm, ids, [(p, c) for p, c in cases if p], cfg, gold)
        for reuse in (True, False):
            t0 = time.perf_counter()
            found, _ = sample_calls(lm, doc.text, ids, offsets, tool, AnnotateConfig(tools=(tool,), prompt_cache=reuse),
                                    doc_key=doc.id)
            sampling["with_cache" if reuse else "without_cache"] += time.perf_counter() - t0
        executed = [(c.position, c.call) for c in execute_candidates(runner, found, doc.context)]
        _time_scorers(lm, ids, executed, cfg, sampled)
        print(f"  {doc.id}: {len(executed)} executed candidates", flush=True)
    return {
        "documents": len(docs),
        "scorer_gold_calls": _scorer_row(gold),
        "scorer_sampled_candidates": _scorer_row(sampled),
        "sampling_seconds_per_document": {k: round(v / len(docs), 2) for k, v in sampling.items()},
        "sampling_settings": {"top_k": tool.top_k, "samples": tool.samples},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["filter", "e2e", "speed"])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--skip", type=int, default=0, help="start at this GSM8K record")
    parser.add_argument("--max-gold", type=int, default=3, help="gold calls per document (filter study)")
    parser.add_argument("--text", choices=["full", "answer"], default="full", help="question+solution or solution")
    parser.add_argument("--position", choices=["span", "result"], default="span",
                        help="gold call before the whitespace/currency run or right before the result digits")
    parser.add_argument("--context-tokens", type=int, default=0,
                        help="filter ablation: score on the N tokens before each position, not the whole text")
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lm = CausalLM.load(args.model, threads=args.threads)
    study = {"filter": filter_study, "e2e": e2e_study, "speed": speed_study}[args.study]
    result = {"study": args.study, "model": args.model, "args": {k: str(v) for k, v in vars(args).items()},
              **study(lm, args)}
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "examples"}, indent=2))


if __name__ == "__main__":
    main()
