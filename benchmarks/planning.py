"""Planner benchmarks (named planning.py: a script named planner.py would shadow the package).

(a) Runner throughput: ``--queries`` queries (default 100) planned with CoT (two LLM calls per
    query) against the project's local OpenAI-compatible server answering every completion
    after ``--latency`` seconds (default 0.2), at concurrency 1, 4 and 16. Reports wall time,
    queries/s and the speed-up over concurrency 1 as a fraction of the ideal (target ≥ 0.8
    at 16). ``--replicas N`` serves the model from N local servers given as one ``base_url``
    list (each row then has the calls each server got).
(b) Cost and solved fraction of ``cot`` vs ``dfsdt`` with the embedded SmolLM2-135M
    (``hf:smollm2``) on the first ``--g1`` visible StableToolBench G1-instruction queries
    with the virtual executor: LLM calls, tokens, API calls and seconds per query, and the
    fraction that gave an answer (Finish/give_answer; not judged). CPU-heavy: use small
    ``--g1`` and budgets on a laptop.

    python benchmarks/planning.py throughput --queries 100
    python benchmarks/planning.py throughput --queries 200 --latency 0.05 --levels 1,16,64 --replicas 2
    python benchmarks/planning.py methods --g1 5 --max-llm-calls 12 --max-actions 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.config import PlannerConfig  # noqa: E402
from planner.runner import run_queries  # noqa: E402
from toolbench.types import Query  # noqa: E402


def throughput(n_queries: int, latency: float, levels: list[int], replicas: int = 1) -> list[dict[str, Any]]:
    """(a): wall time per concurrency level against ``replicas`` local servers with fixed latency."""
    import contextlib

    from tests.planner_fakes import tool_catalog
    from toolbench.executors import build_executor
    from toolbench.models import load_chat_model
    from toolbench.models.local_server import LocalOpenAIServer

    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    queries = [Query(str(i), f"What is {i} plus 1?", api_ids=catalog.ids) for i in range(n_queries)]
    config = PlannerConfig(method="cot", max_actions=2, prompt="default")  # echo replies: 2 calls per query
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(LocalOpenAIServer(latency=latency)) for _ in range(replicas)]
        for level in levels:
            model = load_chat_model("openai:local-model", base_url=[s.base_url for s in servers], api_key="none",
                                    max_retries=0)
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                stats = run_queries(queries, catalog, model, executor, config, out, concurrency=level)
                wall = time.perf_counter() - start
            per_server = [c["calls"] for c in model.stats().get("endpoints", {}).values()]
            rows.append({"concurrency": level, "queries": stats.done, "llm_calls": stats.llm_calls,
                         "seconds": round(wall, 2), "queries_per_s": round(stats.done / wall, 2),
                         **({"calls_per_server": per_server} if per_server else {})})
    base = rows[0]["seconds"] * rows[0]["concurrency"]
    for row in rows:
        ideal = base / row["concurrency"]
        row["speedup"] = round(base / row["seconds"], 2)
        row["fraction_of_ideal"] = round(ideal / row["seconds"], 2)
    return rows


def methods(n_queries: int, budget: int, max_actions: int, max_new_tokens: int,
            shared: Path, out_dir: Path | None = None) -> list[dict[str, Any]]:
    """(b): cot vs dfsdt with the embedded model and the virtual executor.

    With ``out_dir`` the runs (and the virtual API cache) are kept there, so an interrupted
    benchmark resumes where it stopped; seconds per query then count only this invocation.
    """
    from toolbench.catalog.queries import load_queries
    from toolbench.executors import build_executor
    from toolbench.loaders import load_catalog
    from toolbench.models import load_chat_model
    from toolbench.store.run_io import read_run

    catalog = load_catalog(shared / "stabletoolbench" / "catalog.json")
    queries = load_queries(shared / "stabletoolbench" / "queries" / "G1_instruction.json", catalog)[:n_queries]
    model = load_chat_model("hf:smollm2", max_new_tokens=max_new_tokens)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = out_dir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        executor = build_executor("virtual", catalog, cache=str(work / "responses.sqlite"))
        for method in ("cot", "dfsdt"):
            config = PlannerConfig(method=method, max_llm_calls=budget, max_actions=max_actions,
                                   prompt="stabletoolbench")
            out = work / method
            done_before = len(list((out / "results").glob("*.json"))) if (out / "results").exists() else 0
            start = time.perf_counter()
            run_queries(queries, catalog, model, executor, config, out, concurrency=1)
            wall = time.perf_counter() - start
            runs = read_run(out)
            rows.append(row := {
                "method": method, "queries": len(runs),
                "solved_fraction": round(sum(t.gave_answer for t in runs) / max(len(runs), 1), 3),
                "gave_up": sum(t.finish_reason.value == "give_up" for t in runs),
                "llm_calls_per_query": round(statistics.mean(t.usage.llm_calls for t in runs), 2),
                "tokens_per_query": round(statistics.mean(t.usage.total_tokens for t in runs), 1),
                "api_calls_per_query": round(statistics.mean(t.usage.api_calls for t in runs), 2),
                "seconds_per_query": round(wall / max(len(runs) - done_before, 1), 2),
            })
            print(json.dumps(row), flush=True)  # each method as soon as it is done
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("throughput")
    a.add_argument("--queries", type=int, default=100)
    a.add_argument("--latency", type=float, default=0.2)
    a.add_argument("--levels", default="1,4,16")
    a.add_argument("--replicas", type=int, default=1, help="local servers behind the one model")
    b = sub.add_parser("methods")
    b.add_argument("--g1", type=int, default=50)
    b.add_argument("--max-llm-calls", type=int, default=200)
    b.add_argument("--max-actions", type=int, default=6)
    b.add_argument("--max-new-tokens", type=int, default=96)
    b.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    b.add_argument("--out", type=Path, default=None, help="keep the runs here (resumable)")
    args = parser.parse_args(argv)
    if args.what == "throughput":
        for row in throughput(args.queries, args.latency, [int(x) for x in args.levels.split(",")], args.replicas):
            print(json.dumps(row))
    else:
        methods(args.g1, args.max_llm_calls, args.max_actions, args.max_new_tokens, args.shared,
                args.out)


if __name__ == "__main__":
    main()
