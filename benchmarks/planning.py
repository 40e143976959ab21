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

(c) Scale: ``--queries N`` (default 20000) CoT queries at ``--concurrency`` 128 against
    ``--replicas`` 2 local servers started as their own processes (``python -m
    toolbench.models.local_server --latency 0.05``); each run plans in a child process so its
    peak RSS is the kernel's (``wait4``) and it can be SIGKILLed. First a full run of
    ``--small`` queries (default 2000), then the N run killed when about half is finished and
    resumed to the end. Prints queries/s against the ideal, ``concurrency / (LLM calls per
    query x latency)`` (every call waiting only for its server's latency; two replicas
    serve concurrently so the ideal does not depend on their number, they halve each one's
    load), the planner's CPU seconds per query, peak RSS of each process (the N run's over
    the small run's: target <= 1.2), the resume time (launch of the resumed process until its
    first new query is finished, and the finished-id lookup alone, against parsing every
    result file as resume did before the manifest), and checks that the resumed run planned
    exactly the unfinished ids.
    python benchmarks/planning.py throughput --queries 200 --latency 0.05 --levels 1,16,64 --replicas 2
    python benchmarks/planning.py methods --g1 5 --max-llm-calls 12 --max-actions 3
    nice -n 10 python benchmarks/planning.py scale --queries 20000 --small 2000 --concurrency 128
    nice -n 10 python benchmarks/planning.py readers --queries 2000   # then --queries 20000
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


def _scale_queries(n_queries: int) -> list[Query]:
    from tests.planner_fakes import tool_catalog

    catalog, _ = tool_catalog()
    return [Query(str(i), f"What is {i} plus 1?", api_ids=catalog.ids) for i in range(n_queries)]


def plan_worker(n_queries: int, out: Path, urls: list[str], concurrency: int, report: Path) -> None:
    """(c), in the child process: plan ``n_queries`` into ``out``; write counters to ``report``."""
    from tests.planner_fakes import tool_catalog
    from toolbench.executors import build_executor
    from toolbench.models import load_chat_model

    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    model = load_chat_model("openai:local-model", base_url=urls, api_key="none", max_retries=2)
    config = PlannerConfig(method="cot", max_actions=2, prompt="default")  # echo replies: 2 calls per query
    first: list[float] = []
    start = time.perf_counter()
    stats = run_queries(_scale_queries(n_queries), catalog, model, executor, config, out, concurrency=concurrency,
                        progress=lambda _: first or first.append(time.time()))
    seconds = time.perf_counter() - start
    per_server = [c["calls"] for c in model.stats().get("endpoints", {}).values()]
    report.write_text(json.dumps({**stats.to_dict(), "seconds": seconds, "first_done_at": first[0] if first else None,
                                  "calls_per_server": per_server}))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_servers(replicas: int, latency: float) -> tuple[list[Any], list[str]]:
    import subprocess
    import urllib.request

    procs, urls = [], []
    for _ in range(replicas):
        port = _free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "toolbench.models.local_server", "--port", str(port),
                                       "--latency", str(latency)], cwd=ROOT, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}/v1")
    deadline = time.monotonic() + 30
    for url in urls:
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"local server {url} did not start") from None
                time.sleep(0.2)
    return procs, urls


def _manifest_lines(out: Path) -> int:
    try:
        return (out / "finished.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _plan_process(n_queries: int, out: Path, urls: list[str], concurrency: int, kill_at: int = 0) -> dict[str, Any]:
    """Run :func:`plan_worker` as a child; SIGKILL it once ``kill_at`` queries are finished."""
    import os
    import signal
    import subprocess

    report = out.with_suffix(f".{time.time_ns()}.json")
    launched = time.time()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "plan-worker", "--queries", str(n_queries),
                             "--out", str(out), "--urls", ",".join(urls), "--concurrency", str(concurrency),
                             "--report", str(report)], cwd=ROOT)
    killed = 0
    while kill_at and proc.poll() is None:
        if (lines := _manifest_lines(out)) >= kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            killed = lines
            break
        time.sleep(0.1)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.time() - launched
    row: dict[str, Any] = json.loads(report.read_text()) if report.is_file() else {}
    if not killed and os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the planning process failed ({os.waitstatus_to_exitcode(status)})")
    first = row.pop("first_done_at", None)
    if killed:
        row["manifest_lines_at_kill"] = killed
    row.update({"killed": bool(killed), "wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                "first_done_after_launch_s": round(first - launched, 2) if first else None})
    return row


def _lookup_times(out: Path) -> dict[str, Any]:
    """Seconds to find the finished ids of ``out``: listing alone, manifest + listing, parsing every file."""
    import os

    from toolbench.store.runs import RunDir, read_result

    run = RunDir(out)
    start = time.perf_counter()
    with os.scandir(run.results) as entries:
        names = [e.name for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]
    listing = time.perf_counter() - start
    start = time.perf_counter()
    done = run.finished()
    manifest = time.perf_counter() - start
    start = time.perf_counter()
    parsed = {str(r["query_id"]) for f in names if (r := read_result(run.results / f)) is not None}
    parse_all = time.perf_counter() - start
    if parsed != set(done):
        raise RuntimeError(f"the manifest lookup and parsing every file disagree: {sorted(parsed ^ set(done))[:5]}")
    return {"finished": len(done), "listing_s": round(listing, 3), "manifest_lookup_s": round(manifest, 3),
            "parse_every_file_s": round(parse_all, 3)}


def scale(n_queries: int, small: int, concurrency: int, replicas: int, latency: float) -> list[dict[str, Any]]:
    """(c): see the module docstring; one JSON row per phase."""
    procs, urls = _start_servers(replicas, latency)
    ideal = concurrency / (2 * latency)  # 2 LLM calls per query
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            rows.append({"phase": f"full run, {small} queries", **_plan_process(small, work / "small", urls,
                                                                                 concurrency)})
            rows.append({"phase": f"{n_queries} queries, killed at half",
                         **_plan_process(n_queries, work / "big", urls, concurrency, kill_at=n_queries // 2)})
            rows.append({"phase": "lookup of the finished ids after the kill", **_lookup_times(work / "big")})
            rows.append({"phase": f"{n_queries} queries, resumed",
                         **_plan_process(n_queries, work / "big", urls, concurrency)})
            finished = _manifest_lines(work / "big")
            redone = rows[-1]["done"] + rows[-1]["errors"]
            rows[-1]["exactly_the_unfinished"] = (rows[-1]["skipped"] + redone == n_queries
                                                  and rows[-1]["llm_calls"] == 2 * rows[-1]["done"]
                                                  and finished == n_queries)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    for row in rows:
        if "seconds" in row and row.get("done"):
            row["queries_per_s"] = round(row["done"] / row["seconds"], 1)
            row["ideal_queries_per_s"] = round(ideal, 1)
            row["fraction_of_ideal"] = round(row["queries_per_s"] / ideal, 3)
            row["cpu_ms_per_query"] = round(1000 * row["cpu_s"] / row["done"], 2)
    big = max(rows[1]["peak_rss_mb"], rows[3]["peak_rss_mb"])
    rows.append({"phase": "summary", "rss_ratio_big_over_small": round(big / rows[0]["peak_rss_mb"], 3),
                 "resume_first_done_s": rows[3]["first_done_after_launch_s"],
                 "finished_at_kill": rows[2]["finished"]})
    return rows


def _synthetic_run(out: Path, n_queries: int) -> Path:
    """An old-layout run directory of ``n_queries`` finished trajectories, and a query file with answers."""
    from toolbench.store import write_jsonl
    from toolbench.types import FinishReason, Message, ToolCall, Trajectory, Usage

    results = out / "run" / "results"
    results.mkdir(parents=True)
    system = "You are AutoGPT, you can use many tools (functions) to do the following task. " * 20
    for i in range(n_queries):
        call = ToolCall(f"call_{i}", "add_for_calc", {"a": i, "b": 1})
        messages = [Message("system", system), Message("user", f"What is {i} plus 1?"),
                    Message("assistant", "Thought: add them.", tool_calls=[call]),
                    Message("tool", json.dumps({"result": i + 1, "note": "x" * 400}), tool_call_id=call.id),
                    Message("assistant", f"The answer is {i + 1}.")]
        trajectory = Trajectory(str(i), f"What is {i} plus 1?", "cot", messages=messages,
                                finish_reason=FinishReason.GIVE_ANSWER, final_answer=str(i + 1),
                                usage=Usage(llm_calls=2, prompt_tokens=900, completion_tokens=40, api_calls=1))
        text = json.dumps({"schema_version": 1, **trajectory.to_dict()}, ensure_ascii=False)
        (results / f"{i}.json").write_text(text)  # written directly: no manifest, as before it existed
    write_jsonl(out / "queries.jsonl", ({"query_id": str(i), "query": f"What is {i} plus 1?",
                                         "expected_answer": i + 1} for i in range(n_queries)))
    return out / "run"


def readers(n_queries: int) -> list[dict[str, Any]]:
    """(d): see the module docstring."""
    import os
    import subprocess

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run = _synthetic_run(work, n_queries)
        commands = {
            "data sft": ["data", "sft", str(run), "--out", str(work / "sft")],
            "runs merge": ["runs", "merge", str(run), "--out", str(work / "merged")],
            "eval exact": ["eval", "exact", str(run), "--queries", str(work / "queries.jsonl"), "-o",
                           str(work / "exact")],
        }
        for name, args in commands.items():
            start = time.time()
            with open(work / "said.txt", "w", encoding="utf-8") as said:
                proc = subprocess.Popen([sys.executable, "-m", "toolbench", *args], cwd=ROOT, stdout=said)
                _, status, usage = os.wait4(proc.pid, 0)
            lines = (work / "said.txt").read_text(encoding="utf-8").strip().splitlines()
            rows.append({"command": f"toolbench {name}", "queries": n_queries,
                         "exit": os.waitstatus_to_exitcode(status), "wall_s": round(time.time() - start, 2),
                         "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "said": lines[0][:100] if lines else ""})
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
    c = sub.add_parser("scale")
    c.add_argument("--queries", type=int, default=20000)
    c.add_argument("--small", type=int, default=2000)
    c.add_argument("--concurrency", type=int, default=128)
    c.add_argument("--replicas", type=int, default=2)
    c.add_argument("--latency", type=float, default=0.05)
    r = sub.add_parser("readers")
    r.add_argument("--queries", type=int, default=2000)
    w = sub.add_parser("plan-worker")  # (c)'s child process
    w.add_argument("--queries", type=int, required=True)
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--urls", required=True)
    w.add_argument("--concurrency", type=int, required=True)
    w.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "scale":
        for row in scale(args.queries, args.small, args.concurrency, args.replicas, args.latency):
            print(json.dumps(row), flush=True)
    elif args.what == "readers":
        for row in readers(args.queries):
            print(json.dumps(row), flush=True)
    elif args.what == "plan-worker":
        plan_worker(args.queries, args.out, args.urls.split(","), args.concurrency, args.report)
    elif args.what == "throughput":
        for row in throughput(args.queries, args.latency, [int(x) for x in args.levels.split(",")], args.replicas):
            print(json.dumps(row))
    else:
        methods(args.g1, args.max_llm_calls, args.max_actions, args.max_new_tokens, args.shared,
                args.out)


if __name__ == "__main__":
    main()
