"""Schema-constrained tool calls (llguidance) against free text, on the shared BFCL v4 files.

For each BFCL category (simple_python, multiple, parallel, parallel_multiple,
irrelevance; the first ``--limit`` items of each) the embedded model (``hf:smollm2``,
SmolLM2-135M-Instruct on CPU) answers every question twice through the ``hf`` backend's
``json`` tool format: with ``guided=true`` (every call decoded under the llguidance token
mask, :mod:`toolbench.models.constrained`) and with ``guided=false`` (free text, parsed
by :mod:`toolbench.models.tool_call_text`). With ``--old-tree DIR`` (a checkout of the
project before llguidance, e.g. ``git archive b2b127b | tar -x -C DIR``) the same questions
also go, in a subprocess, to that tree's hand-written constrained decoder
(``toolbench/models/guided.py``), and are scored here like the others. It prints per
category and overall:

- **schema-valid**: produced calls that name an offered function and whose arguments
  validate (``jsonschema``, no coercion, no unknown parameters) against that function's
  parameters, converted from BFCL types by :func:`evaluator.bfcl.json_schema`;
- **no call**: replies with no decodable call (right for irrelevance, wrong elsewhere);
  **parse errors**: replies that tried to call but could not be read;
- **AST**: accuracy by the project's BFCL checker (``bfcl`` matching, as ``bench bfcl``);
- **s/item**: wall seconds per question (one request at a time, prompt encoding included).

The questions are asked and scored by the same functions as ``toolbench bench bfcl``
(:func:`evaluator.bfcl.predict`, :func:`evaluator.bfcl.score`). Per-item records
(calls, validity errors, verdicts, seconds) go to ``--out``.

    nice -n 10 python benchmarks/constrained_calls.py --limit 2     # a quick check
    nice -n 10 python benchmarks/constrained_calls.py --limit 10 --threads 1 --old-tree /tmp/old
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator import bfcl  # noqa: E402
from evaluator.ast_check import find_function  # noqa: E402
from evaluator.call_text import CallSyntaxError, decode_output  # noqa: E402
from toolbench.executors.validation import ArgumentError, check_arguments  # noqa: E402
from toolbench.store import write_jsonl  # noqa: E402

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")
MODES = {"llguidance": True, "free text": False}
OLD_MODE = "hand-written (old tree)"
# run inside the old tree: its own evaluator.bfcl.predict and hf backend, one JSON line per item
OLD_PREDICT = """
import json, sys, time
from evaluator import bfcl
from toolbench.models import load_chat_model
data, limit, categories, spec, options = sys.argv[1:6]
chat = load_chat_model(spec, **json.loads(options))
for path in bfcl.question_files(data, categories.split(",")):
    for item in bfcl.read_items(path)[:int(limit)]:
        start = time.perf_counter()
        p = bfcl.predict(chat, item)
        seconds = time.perf_counter() - start
        print(json.dumps({"id": item.id, "calls": p.calls, "text": p.text, "error": p.error, "seconds": seconds,
                          "completion_tokens": p.usage.completion_tokens}), flush=True)
"""


def call_problems(item: bfcl.BfclItem, calls: list[dict[str, Any]]) -> list[str]:
    """Why each call is not schema-valid for ``item`` (empty: all valid)."""
    problems = []
    for number, call in enumerate(calls, start=1):
        (name, arguments), = call.items()
        function = find_function(item.functions, name)
        if function is None:
            problems.append(f"call {number}: {name!r} is not offered")
            continue
        schema = bfcl.json_schema(function.get("parameters") or {"type": "dict", "properties": {}})
        try:
            check_arguments(arguments, schema, coerce=False, allow_extra=False)
        except ArgumentError as exc:
            problems.append(f"call {number} ({name}): {exc}")
    return problems


def record(item: bfcl.BfclItem, mode: str, result: bfcl.Output, parse_error: str, seconds: float,
           tokens: int) -> dict[str, Any]:
    """One item's record: its decodable calls, their schema problems, the AST verdict, the cost."""
    try:
        calls = decode_output(result)
    except CallSyntaxError:
        calls = []
    verdict = bfcl.score(item, result)
    print(f"  {item.id}: {len(calls)} call(s), ast={'ok' if verdict['valid'] else verdict['error_type']}, "
          f"{seconds:.1f}s", flush=True)
    return {"id": item.id, "category": item.category, "mode": mode, "seconds": round(seconds, 3), "result": result,
            "calls": len(calls), "schema_problems": call_problems(item, calls), "parse_error": parse_error,
            "ast_valid": verdict["valid"], "ast_error": verdict["error_type"], "completion_tokens": tokens}


def run_mode(model_spec: str, mode: str, items: list[bfcl.BfclItem], threads: int | None) -> list[dict[str, Any]]:
    """Ask every item with the ``hf`` backend's ``guided`` option of ``mode``."""
    from toolbench.models import load_chat_model

    options: dict[str, Any] = {"guided": MODES[mode], **({"threads": threads} if threads else {})}
    chat = load_chat_model(model_spec, **options)
    rows = []
    try:
        for item in items:
            start = time.perf_counter()
            prediction = bfcl.predict(chat, item)
            seconds = time.perf_counter() - start
            rows.append(record(item, mode, prediction.result, prediction.error, seconds,
                               prediction.usage.completion_tokens))
    finally:
        chat.close()
    return rows


def run_old_tree(tree: Path, model_spec: str, items: list[bfcl.BfclItem], args: argparse.Namespace
                 ) -> list[dict[str, Any]]:
    """Ask every item with the decoder of an older checkout (a subprocess with that tree first on the path)."""
    options = {"threads": args.threads} if args.threads else {}
    env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
    command = [sys.executable, "-c", OLD_PREDICT, str(args.data.resolve()), str(args.limit), args.categories,
               model_spec, json.dumps(options)]
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True)
    by_id = {item.id: item for item in items}
    rows = []
    assert proc.stdout is not None
    for line in proc.stdout:
        got = json.loads(line)
        # what is scored, as the current bench does: the calls, else the text
        result = got["calls"] if got["calls"] or not got["text"].strip() else got["text"]
        rows.append(record(by_id[got["id"]], OLD_MODE, result, got["error"], got["seconds"],
                           got["completion_tokens"]))
    if proc.wait() != 0:
        raise SystemExit(f"the old tree's decoder failed (exit {proc.returncode})")
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and rates of a set of item records."""
    calls = sum(r["calls"] for r in rows)
    invalid = sum(len(r["schema_problems"]) for r in rows)
    n = len(rows)
    return {"items": n, "calls": calls, "valid": calls - invalid,
            "no_call": sum(1 for r in rows if r["calls"] == 0),
            "parse_errors": sum(1 for r in rows if r["parse_error"]),
            "ast": sum(1 for r in rows if r["ast_valid"]) / n if n else 0.0,
            "seconds": sum(r["seconds"] for r in rows) / n if n else 0.0,
            "tokens": sum(r["completion_tokens"] for r in rows) / n if n else 0.0}


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table: one line per category and mode, then the overall lines."""
    lines = ["| category | mode | items | calls | schema-valid calls | no call | parse errors | AST accuracy "
             "| s/item | tokens/item |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["category"], row["mode"])].append(row)
        groups[("overall", row["mode"])].append(row)
    order = sorted({c for c, _ in groups}, key=lambda c: (c == "overall", c))
    for category in order:
        for mode in (*MODES, OLD_MODE):
            if (category, mode) not in groups:
                continue
            s = summary(groups[(category, mode)])
            rate = f"{s['valid']}/{s['calls']} ({100 * s['valid'] / s['calls']:.0f} %)" if s["calls"] else "—"
            name = f"**{category}**" if category == "overall" else category
            lines.append(f"| {name} | {mode} | {s['items']} | {s['calls']} | {rate} | {s['no_call']} | "
                         f"{s['parse_errors']} | {100 * s['ast']:.0f} % | {s['seconds']:.1f} | {s['tokens']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl")
    parser.add_argument("--limit", type=int, default=10, help="first N items of each category")
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--model", default="hf:smollm2")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 on a busy machine)")
    parser.add_argument("--modes", default=",".join(MODES), help="llguidance, free text (comma-separated)")
    parser.add_argument("--old-tree", type=Path, default=None,
                        help="a checkout before llguidance: also run its hand-written constrained decoder")
    parser.add_argument("--out", type=Path, default=Path("evals/constrained-calls.jsonl"))
    args = parser.parse_args()
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := [m for m in modes if m not in MODES]:
        parser.error(f"unknown mode(s) {unknown}; choose from {list(MODES)}")
    items = []
    for path in bfcl.question_files(args.data, args.categories.split(",")):
        items.extend(bfcl.read_items(path)[: args.limit])
    if args.old_tree is not None and not (args.old_tree / "toolbench" / "models" / "guided.py").is_file():
        parser.error(f"{args.old_tree} has no toolbench/models/guided.py (not a tree before llguidance)")
    rows = []
    for mode in modes:
        print(f"{mode} (guided={MODES[mode]}):", flush=True)
        rows.extend(run_mode(args.model, mode, items, args.threads))
    if args.old_tree is not None:
        print(f"{OLD_MODE}: {args.old_tree}", flush=True)
        rows.extend(run_old_tree(args.old_tree, args.model, items, args))
    write_jsonl(args.out, rows)
    print(table(rows))
    for row in rows:
        for problem in row["schema_problems"]:
            print(f"schema: {row['id']} ({row['mode']}): {problem}")
    print(f"records: {args.out}")


if __name__ == "__main__":
    main()
