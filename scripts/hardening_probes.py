"""Hostile and clumsy-user probes of the CLI, executors, runs, caches and paths (issue 20).

    python scripts/hardening_probes.py                 # every probe (a few minutes on 2 cores)
    python scripts/hardening_probes.py --family ids    # only families whose name contains "ids"
    python scripts/hardening_probes.py --list          # name the probes without running them

Each probe is what a hostile or clumsy user would do: mostly the real CLI in a subprocess
(``python -m toolbench ...``) inside its own temporary workspace, plus direct executor calls
for tool arguments, timeouts and SSRF targets. Nothing needs the network: the model is the
``scripted`` backend reading a reply file, the tools are the built-in ones.

A probe is *clean* when its expectation holds:

- a usage or input error is one line (``error: ...``) on stderr with exit code 2, never a
  ``Traceback`` (exit 1);
- a bad query or tool call becomes that query's error result and the run goes on;
- nothing is written outside the output directory (every new file of the workspace is
  checked), no secret value reaches any file written or the terminal;
- a tool call returns an observation within its timeout (plus a little slack).

The script prints a table (family, tried, clean) and every unclean probe with its symptom,
and exits 1 when any probe is unclean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CALC = "Mathematics::Calculator::calculator"
SECRET = "sk-probe-5f3a9c1e7b2d4a6f8e0c1b3d5a7f9e2c"
CLI_TIMEOUT = 90.0

# ---------------------------------------------------------------------------------------- probes


@dataclass
class Probe:
    """One probe: ``run(ws)`` does it in workspace ``ws`` and returns its symptoms (none = clean)."""

    family: str
    name: str
    run: Callable[[Path], list[str]]


@dataclass
class Result:
    probe: Probe
    symptoms: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Cli:
    """What one CLI subprocess did."""

    code: int
    out: str
    err: str
    seconds: float


def toolbench(ws: Path, *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT) -> Cli:
    """Run ``python -m toolbench ARGS`` in ``ws`` (its cache folder inside ``ws``)."""
    full_env = {**os.environ, "TOOLBENCH_CACHE": str(ws / "cache"), "COLUMNS": "200", "NO_COLOR": "1",
                "PYTHONPATH": str(ROOT), **(env or {})}
    if "OPENAI_API_KEY" not in (env or {}):  # the probes' own key only, never the caller's
        full_env.pop("OPENAI_API_KEY", None)
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "toolbench", *args], cwd=ws, env=full_env, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"").decode("utf-8", "replace")
        return Cli(-9, "", err + f"\n[probe] no answer within {timeout:.0f} s", time.perf_counter() - start)
    return Cli(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
               time.perf_counter() - start)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


@contextlib.contextmanager
def contained(ws: Path, allowed: Sequence[Path], symptoms: list[str]) -> Iterator[None]:
    """Record a symptom for every new file of ``ws`` outside ``allowed`` (and the cache folder)."""
    before = files_under(ws)
    yield
    allowed = [*allowed, ws / "cache"]
    escaped = [p for p in files_under(ws) - before if not any(p.is_relative_to(a) for a in allowed)]
    if escaped:
        names = sorted(str(p.relative_to(ws)) for p in escaped)
        symptoms.append("wrote outside the output dir: " + ", ".join(names[:3]))


def error_lines(err: str) -> list[str]:
    """The error message's lines: from the first ``error:`` line to the end (logs before it ignored)."""
    lines = [line for line in err.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            return lines[i:]
    return []


def judge_cli(run: Cli, codes: Sequence[int] = (2,), *, mention: str = "") -> list[str]:
    """Symptoms of a CLI run whose acceptable exit codes are ``codes``."""
    symptoms = []
    last = run.err.strip().splitlines()[-1:] or [""]
    if "Traceback" in run.err:
        symptoms.append(f"traceback (exit {run.code}): {last[0][:160]}")
    elif run.code == -9:
        symptoms.append(last[0])
    elif run.code not in codes:
        symptoms.append(f"exit {run.code} (expected {'/'.join(map(str, codes))}): {last[0][:160]}")
    if run.code == 2 and "Traceback" not in run.err:
        lines = error_lines(run.err)
        if len(lines) != 1:
            symptoms.append(f"exit 2 without a one-line 'error:' message: {run.err.strip()[:160]!r}")
        elif mention and not any(m.lower() in lines[0].lower() for m in mention.split("|")):
            symptoms.append(f"error does not mention {mention!r}: {lines[0][:160]}")
    return symptoms


def cli_probe(family: str, name: str, setup: Callable[[Path], list[str]], codes: Sequence[int] = (2,), *,
              out: str = "out", mention: str = "", after: Callable[[Path, Cli], list[str]] | None = None,
              env: Callable[[Path], dict[str, str]] | None = None) -> Probe:
    """A probe that runs ``toolbench`` with the arguments ``setup(ws)`` returns."""

    def run(ws: Path) -> list[str]:
        args = setup(ws)
        symptoms: list[str] = []
        with contained(ws, [ws / out], symptoms):
            result = toolbench(ws, *args, env=env(ws) if env else None)
        symptoms[:0] = judge_cli(result, codes, mention=mention)
        if after is not None and not symptoms:
            symptoms += after(ws, result)
        return symptoms

    return Probe(family, name, run)


# -------------------------------------------------------------------------------------- fixtures


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def jsonl(records: Sequence[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def query(qid: Any, **extra: Any) -> dict[str, Any]:
    return {"query_id": qid, "query": "What is 6*7?", "api_ids": [CALC], **extra}


def queries_file(ws: Path, ids: Sequence[Any] = ("1", "2"), name: str = "queries.jsonl") -> Path:
    return write(ws / "in" / name, jsonl([query(i) for i in ids]))


def replies_file(ws: Path, n: int = 12, name: str = "replies.jsonl") -> Path:
    """Scripted replies: a calculator call, then Finish, ``n`` times."""
    replies = []
    for _ in range(n):
        replies.append({"content": "Let me compute.", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}]})
        replies.append({"content": None, "tool_calls": [{"id": "b", "type": "function", "function": {
            "name": "Finish", "arguments": '{"return_type": "give_answer", "final_answer": "42"}'}}]})
    return write(ws / "in" / name, jsonl(replies))


def plan_args(ws: Path, queries: Path, *extra: str, replies: Path | None = None) -> list[str]:
    replies = replies or replies_file(ws)
    return ["plan", str(queries), "--executor", "builtin", "--model", f"scripted:{replies}", "-j", "1",
            "--method", "cot", "--max-llm-calls", "4", "--out", str(ws / "out"), *extra]


def trajectory(qid: Any, group: Any = "G1", answer: str = "42") -> dict[str, Any]:
    """A finished trajectory record (the form of trajectories.jsonl and results/*.json)."""
    return {"schema_version": 1, "query_id": qid, "query": "What is 6*7?", "method": "cot", "api_ids": [CALC],
            "tools": [], "messages": [{"role": "user", "content": "What is 6*7?"},
                                      {"role": "assistant", "content": "42"}],
            "steps": [], "finish_reason": "give_answer", "final_answer": answer,
            "usage": {"llm_calls": 1, "prompt_tokens": 0, "completion_tokens": 0, "api_calls": 0, "seconds": 0.0},
            "config": {"group": group}, "tree": None, "model": "scripted", "error": ""}


def run_dir(ws: Path, records: Sequence[dict[str, Any]], name: str = "run") -> Path:
    """A run directory made of raw result records (as a run of an older or hostile version left it)."""
    path = ws / "in" / name
    for i, record in enumerate(records):
        write(path / "results" / f"r{i}.json", json.dumps(record, ensure_ascii=False))
    write(path / "trajectories.jsonl", jsonl(records))
    return path


def trajectories_file(ws: Path, records: Sequence[dict[str, Any]]) -> Path:
    return write(ws / "in" / "trajectories.jsonl", jsonl(records))


def expected_queries(ws: Path, ids: Sequence[Any]) -> Path:
    return write(ws / "in" / "expected.jsonl", jsonl([query(i, expected_answer="42") for i in ids]))


def run_config(ws: Path, *, model_options: str = "", executor: str = "kind = \"builtin\"", queries: Path | None = None,
               extra: str = "", planner: str = "method = \"cot\"\noptions = { max_llm_calls = 4 }") -> Path:
    """A ``toolbench run`` TOML config over the scripted model and the built-in tools."""
    queries = queries or expected_queries(ws, ["1", "2"])
    replies = replies_file(ws, 20)
    text = f"""name = "probe"
out = "{ws / 'out'}"
{extra}
[catalog]
builtin = true

[queries]
path = "{queries}"

[index]
kind = "none"

[model]
spec = "scripted:{replies}"
{model_options}

[executor]
{executor}

[planner]
{planner}

[judges]
names = ["exact"]
"""
    return write(ws / "in" / "run.toml", text)


def hostile_ids(ws: Path) -> dict[str, Any]:
    """Query ids a hostile file could hold (name → id)."""
    return {
        "dotdot": "../../x", "dotdot3": "../../../x", "absolute": str(ws / "escape" / "abs"), "nul": "a\x00b",
        "300chars": "q" * 300, "unicode": "Ünïcødé 名前", "long-unicode": "é" * 200, "empty": "", "dot": ".",
        "dotdot-only": "..", "slashes": "a/b/c", "backslash": "..\\..\\x", "newline": "a\nb", "dash": "-rf",
        "int": 7, "null": None,
    }


# ---------------------------------------------------------------------------------- CLI families

USAGE_COMMANDS: list[list[str]] = [
    ["plan", "Q"], ["convert-answers", "R"], ["run", "C"], ["view", "P"], ["report", "P"], ["index", "C"],
    ["retrieve", "x"], ["chat", "hi"], ["catalog", "stats"], ["catalog", "export", "C"], ["catalog", "show", "x"],
    ["tools", "list"], ["tools", "call", "calculator"], ["tools", "import-cache", "F"], ["eval", "pass", "R"],
    ["eval", "win", "R"], ["eval", "exact", "R"], ["eval", "ast"], ["eval", "fac", "R"], ["eval", "retrieval", "R"],
    ["data", "sft", "R"], ["data", "templates"], ["data", "gold", "Q"], ["data", "solutions", "Q"], ["finetune", "R"],
    ["demo"], ["toolformer"], ["retriever"], ["bench"],
]
MISSING_ARGS: list[list[str]] = [
    ["plan"], ["plan", "Q"], ["convert-answers"], ["convert-answers", "R"], ["run"], ["view"], ["report"], ["index"],
    ["index", "C"], ["chat"], ["catalog", "export", "C"], ["tools", "call"], ["eval", "exact"], ["eval", "ast"],
    ["data", "sft", "R"], ["data", "templates"], ["data", "gold", "Q"], ["plan", "Q", "--out"], ["plan", "Q", "-o"],
    ["plan", "Q", "--model"], ["tools", "call", "calculator", "--args"], ["eval", "exact", "R", "--out"],
]
INT_OPTIONS: list[list[str]] = [
    ["plan", "Q", "-o", "O", "--k"], ["plan", "Q", "-o", "O", "--width"], ["plan", "Q", "-o", "O", "--chains"],
    ["plan", "Q", "-o", "O", "--max-actions"], ["plan", "Q", "-o", "O", "--toolbench-depth"],
    ["plan", "Q", "-o", "O", "--max-llm-calls"], ["plan", "Q", "-o", "O", "-j"], ["plan", "Q", "-o", "O", "--limit"],
    ["plan", "Q", "-o", "O", "--seed"], ["chat", "hi", "--rounds"], ["retrieve", "x", "--index", "I", "--k"],
    ["eval", "pass", "R", "--judgings"], ["eval", "pass", "R", "--workers"], ["eval", "exact", "R", "--seed"],
    ["data", "sft", "R", "--out", "O", "--min-calls"], ["data", "templates", "--out", "O", "--g1"],
    ["demo", "--limit"], ["eval", "exact", "R", "--rel-tol"], ["data", "templates", "--out", "O", "--heldout"],
]
BAD_INTEGERS = ["abc", "1.5", "", "0x10", "1e3"]


def usage_family() -> list[Probe]:
    probes = [cli_probe("usage: unknown option", " ".join(c), lambda ws, c=c: [*c, "--no-such-option"])
              for c in USAGE_COMMANDS]
    probes += [cli_probe("usage: missing argument", " ".join(c), lambda ws, c=c: list(c)) for c in MISSING_ARGS]
    probes += [cli_probe("usage: bad number", f"{' '.join(c[-1:])} {v!r} ({c[0]})", lambda ws, c=c, v=v: [*c, v])
               for c in INT_OPTIONS for v in BAD_INTEGERS
               if not (c[-1] in ("--rel-tol", "--heldout") and v in ("1.5", "1e3"))]
    probes += [cli_probe("usage: unknown command", name, lambda ws, a=args: a) for name, args in [
        ("toolbench nope", ["nope"]), ("toolbench eval nope", ["eval", "nope"]),
        ("toolbench data nope", ["data", "nope"]),
        ("toolbench --verbos", ["--verbos"]), ("plan with two QUERIES", ["plan", "a", "b", "-o", "o"])]]
    return probes


def numbers_family() -> list[Probe]:
    """Numbers that parse but make no sense: out of range, zero budgets, non-positive timeouts."""
    plan_values = [("--limit", "-1"), ("--k", "0"), ("--k", "-3"), ("-j", "0"), ("--width", "0"), ("--width", "-2"),
                   ("--chains", "0"), ("--max-llm-calls", "0"), ("--max-llm-calls", "-1"), ("--max-actions", "-1"),
                   ("--toolbench-depth", "-1"), ("--executor-option", "timeout=0"),
                   ("--executor-option", "timeout=-1"), ("--executor-option", "timeout=nan"),
                   ("--executor-option", "timeout=abc"), ("--executor-option", "max_observation_chars=0"),
                   ("--executor-option", "max_observation_chars=-5"), ("--executor-option", "timeout"),
                   ("--model-option", "=x"), ("--executor-option", "nope=1")]
    probes = [cli_probe("numbers: plan options", f"plan {o} {v}",
                        lambda ws, o=o, v=v: plan_args(ws, queries_file(ws), o, v)) for o, v in plan_values]
    tool_values = ["timeout=0", "timeout=-1", "timeout=nan", "max_observation_chars=0", "timeout=1e400"]
    probes += [cli_probe("numbers: tools call options", f"tools call -o {v}",
                         lambda ws, v=v: ["tools", "call", "calculator", "-a", '{"expression": "1+1"}', "-o", v])
               for v in tool_values]
    other = [("eval exact --rel-tol -1", lambda ws: ["eval", "exact", str(trajectories_file(ws, [trajectory("1")])),
                                                     "--rel-tol", "-1", "--queries", str(expected_queries(ws, ["1"])),
                                                     "-o", str(ws / "out")]),
             ("eval exact --rel-tol nan", lambda ws: ["eval", "exact", str(trajectories_file(ws, [trajectory("1")])),
                                                      "--rel-tol", "nan", "--queries", str(expected_queries(ws, ["1"])),
                                                      "-o", str(ws / "out")]),
             ("eval pass --judgings 0", lambda ws: ["eval", "pass", str(trajectories_file(ws, [trajectory("1")])),
                                                    "--judgings", "0", "-o", str(ws / "out")]),
             ("eval pass --workers -1", lambda ws: ["eval", "pass", str(trajectories_file(ws, [trajectory("1")])),
                                                    "--workers", "-1", "-o", str(ws / "out")]),
             ("data sft --min-calls -1", lambda ws: ["data", "sft", str(trajectories_file(ws, [trajectory("1")])),
                                                     "--min-calls", "-1", "--out", str(ws / "out")]),
             ("data templates --g1 -1", lambda ws: ["data", "templates", "--g1", "-1", "--out", str(ws / "out")]),
             ("data templates --heldout 1.5", lambda ws: ["data", "templates", "--heldout", "1.5", "--out",
                                                          str(ws / "out")]),
             ("data templates --heldout -0.1", lambda ws: ["data", "templates", "--heldout", "-0.1", "--out",
                                                           str(ws / "out")]),
             ("chat --rounds 0", lambda ws: ["chat", "hi", "--rounds", "0", "--model", f"scripted:{replies_file(ws)}"]),
             ("demo --limit -1", lambda ws: ["demo", "--limit", "-1", "--out", str(ws / "out")])]
    probes += [cli_probe("numbers: other commands", n, s) for n, s in other]
    toml_values = [("[queries] limit = -1", "extra_queries", "limit = -1"), ("[index] k = 0", "index", "k = 0"),
                   ("planner width = 0", "planner", 'method = "dfsdt"\noptions = { width = 0 }'),
                   ("planner max_llm_calls = -5", "planner", 'method = "cot"\noptions = { max_llm_calls = -5 }'),
                   ("planner concurrency = -1", "planner", 'method = "cot"\nconcurrency = -1'),
                   ("executor timeout = 0", "executor", 'kind = "builtin"\noptions = { timeout = 0 }'),
                   ("executor timeout = -1.5", "executor", 'kind = "builtin"\noptions = { timeout = -1.5 }'),
                   ("executor timeout = nan", "executor", 'kind = "builtin"\noptions = { timeout = nan }'),
                   ("judges judgings = 0", "judges", "judgings = 0")]
    probes += [cli_probe("numbers: run config", n, lambda ws, s=s, t=t: ["run", str(toml_with(ws, s, t))])
               for n, s, t in toml_values]
    return probes


def toml_with(ws: Path, section: str, text: str) -> Path:
    """The standard run config with ``text`` put in (or replacing) ``section``."""
    if section == "planner":
        return run_config(ws, planner=text)
    if section == "executor":
        return run_config(ws, executor=text)
    path = run_config(ws)
    content = path.read_text()
    if section == "extra_queries":
        content = content.replace("[queries]\n", f"[queries]\n{text}\n")
    elif section == "index":
        content = content.replace('kind = "none"', f'kind = "bm25"\n{text}')
    else:
        content = content.replace(f"[{section}]\n", f"[{section}]\n{text}\n")
    return write(path, content)


def _ids_after_plan(ws: Path, run: Cli) -> list[str]:
    """The run must keep going past the hostile query: the good query '1' has a result."""
    merged = ws / "out" / "trajectories.jsonl"
    if run.code != 0:
        return []
    if not merged.exists():
        return ["exit 0 but no trajectories.jsonl"]
    ids = [json.loads(line).get("query_id") for line in merged.read_text(encoding="utf-8").splitlines() if line]
    return [] if "1" in ids else [f"the good query was lost (results: {ids!r:.80})"]


def ids_family() -> list[Probe]:
    """Every hostile query id through every command that names files from ids (and groups)."""
    probes = []
    names = list(hostile_ids(Path("/ws")))
    for key in names:
        def ident(ws: Path, key: str = key) -> Any:
            return hostile_ids(ws)[key]

        probes.append(cli_probe("ids: plan --toolbench-answers", key, lambda ws, f=ident: plan_args(
            ws, queries_file(ws, [f(ws), "1"]), "--toolbench-answers"), (0, 2), after=_ids_after_plan))
        probes.append(cli_probe("ids: plan --method dfsdt", key, lambda ws, f=ident: plan_args(
            ws, queries_file(ws, ["1", f(ws)]), "--method", "dfsdt"), (0, 2), after=_ids_after_plan))
        for to in ("stabletooleval", "toolbench", "trajectories"):
            probes.append(cli_probe(f"ids: convert-answers --to {to}", key, lambda ws, f=ident, to=to: [
                "convert-answers", str(trajectories_file(ws, [trajectory(f(ws)), trajectory("1")])), "--to", to,
                "--out", str(ws / "out")], (0, 2)))
        probes.append(cli_probe("groups: convert-answers --to stabletooleval", key, lambda ws, f=ident: [
            "convert-answers", str(trajectories_file(ws, [trajectory("1", group=f(ws)), trajectory("2")])),
            "--out", str(ws / "out")], (0, 2)))
        probes.append(cli_probe("ids: view", key, lambda ws, f=ident: [
            "view", str(run_dir(ws, [trajectory(f(ws), group=f(ws)), trajectory("1")])), "--out", str(ws / "out")],
            (0, 2)))
        probes.append(cli_probe("ids: eval exact", key, lambda ws, f=ident: [
            "eval", "exact", str(trajectories_file(ws, [trajectory(f(ws)), trajectory("1")])),
            "--queries", str(expected_queries(ws, [f(ws), "1"])), "--out", str(ws / "out")], (0, 2)))
        probes.append(cli_probe("ids: data sft", key, lambda ws, f=ident: [
            "data", "sft", str(trajectories_file(ws, [trajectory(f(ws)), trajectory("1")])), "--out",
            str(ws / "out")], (0, 2)))
        probes.append(cli_probe("ids: data gold", key, lambda ws, f=ident: [
            "data", "gold", str(write(ws / "in" / "gold.jsonl", jsonl([query(f(ws), extra={"gold_calls": [
                {"name": "calculator", "arguments": {"expression": "6*7"}}]}, expected_answer="42")]))),
            "--out", str(ws / "out")], (0, 2)))
    return probes


# ---------------------------------------------------------------------------- files and runs


RESULT_SHAPES: dict[str, bytes] = {
    "list": b"[]", "string": b'"x"', "number": b"1", "null": b"null", "empty object": b"{}",
    "id list": b'{"query_id": []}', "steps string": b'{"query_id": "2", "steps": "x", "query": "q", "method": "cot"}',
    "non-utf8": b'{"query_id": "\xff\xfe"}', "truncated": b'{"query_id": "2", "que', "empty file": b"",
    "nul bytes": b"\x00" * 64, "future version": b'{"schema_version": 99, "query_id": "2"}',
    "usage string": json.dumps({**trajectory("2"), "usage": "lots"}).encode(),
    "messages dicts": json.dumps({**trajectory("2"), "messages": [{"x": 1}]}).encode(),
    "nested 100000 deep": b"[" * 100000 + b"]" * 100000,
    "final answer nested 900 deep": json.dumps({**trajectory("2"), "final_answer": "x"}).encode().replace(
        b'"final_answer": "x"', b'"final_answer": ' + b"[" * 900 + b"]" * 900),
    "config nested 900 deep": json.dumps({**trajectory("2"), "config": "x"}).encode().replace(
        b'"config": "x"', b'"config": ' + b'{"a": ' * 900 + b"{}" + b"}" * 900),
}
RECORD_CHANGES: dict[str, dict[str, Any]] = {
    "steps a string": {"steps": "x"}, "final_answer a list": {"final_answer": [1]}, "usage a string": {"usage": "x"},
    "message without role": {"messages": [{"x": 1}]}, "unknown finish_reason": {"finish_reason": "zzz"},
    "final_answer a number": {"final_answer": 5}, "config a string": {"config": "x"}, "query a list": {"query": ["q"]},
    "tree a string": {"tree": "x"}, "no query_id": {"query_id": None}, "future schema": {"schema_version": 7},
}


def results_family() -> list[Probe]:
    """A run with one good result and one result file of a wrong shape, read by every consumer."""
    probes = []
    for shape, content in RESULT_SHAPES.items():
        def make(ws: Path, content: bytes = content) -> Path:
            path = run_dir(ws, [trajectory("1")])
            write(path / "results" / "bad.json", content)
            return path

        def plan_resume(ws: Path, make: Callable[[Path], Path] = make) -> list[str]:
            path = make(ws)
            shutil.copytree(path, ws / "out")
            return plan_args(ws, queries_file(ws, ["1", "2"]))

        probes.append(cli_probe("result files: plan resume", shape, plan_resume, (0,)))
        for command in (["convert-answers"], ["eval", "exact"], ["data", "sft"], ["report"], ["view"]):
            def args(ws: Path, make: Callable[[Path], Path] = make, command: list[str] = command) -> list[str]:
                extra = ["--queries", str(expected_queries(ws, ["1", "2"]))] if command == ["eval", "exact"] else []
                return [*command, str(make(ws)), *extra, "--out", str(ws / "out")]

            probes.append(cli_probe(f"result files: {' '.join(command)}", shape, args, (0, 2)))
    return probes


def records_family() -> list[Probe]:
    """A trajectories.jsonl whose second record has another shape, read by every consumer."""
    probes = []
    for shape, change in RECORD_CHANGES.items():
        def make(ws: Path, change: dict[str, Any] = change) -> Path:
            record = {k: v for k, v in {**trajectory("2"), **change}.items() if v is not None}
            return trajectories_file(ws, [trajectory("1"), record])

        for command in (["convert-answers"], ["eval", "exact"], ["data", "sft"], ["report"], ["view"]):
            def args(ws: Path, make: Callable[[Path], Path] = make, command: list[str] = command) -> list[str]:
                extra = ["--queries", str(expected_queries(ws, ["1", "2"]))] if command == ["eval", "exact"] else []
                return [*command, str(make(ws)), *extra, "--out", str(ws / "out")]

            probes.append(cli_probe(f"trajectory records: {' '.join(command)}", shape, args, (2,)))
    return probes


BAD_TEXT: dict[str, bytes] = {
    "latin-1": "query_id = 'é'\n".encode("latin-1") + b"\xe9\xff\n",
    "utf-16": json.dumps(query("1")).encode("utf-16"),
    "nul bytes": b"\x00\x01\x02" * 20,
    "binary": bytes(range(256)),
    "empty": b"",
    "utf-8 bom": b"\xef\xbb\xbf" + json.dumps(query("1")).encode() + b"\n",
    "nested 100000 deep": b"[" * 100000 + b"]" * 100000 + b"\n",
}


def encoding_family() -> list[Probe]:
    """Non-UTF-8, binary, empty files, directories and missing paths where a text file is expected."""
    consumers: dict[str, Callable[[Path, Path], list[str]]] = {
        "plan QUERIES": lambda ws, p: plan_args(ws, p),
        "plan scripted:REPLIES": lambda ws, p: plan_args(ws, queries_file(ws), replies=p),
        "run CONFIG": lambda ws, p: ["run", str(p)],
        "catalog stats": lambda ws, p: ["catalog", "stats", str(p)],
        "tools list -c": lambda ws, p: ["tools", "list", "-c", str(p)],
        "convert-answers": lambda ws, p: ["convert-answers", str(p), "--out", str(ws / "out")],
        "eval exact --queries": lambda ws, p: ["eval", "exact", str(trajectories_file(ws, [trajectory("1")])),
                                               "--queries", str(p), "--out", str(ws / "out")],
        "eval ast --answers": lambda ws, p: ["eval", "ast", "--predictions", str(
            write(ws / "in" / "pred.jsonl", jsonl([{"id": "x", "result": [{"f": {}}]}]))), "--answers", str(p),
            "--out", str(ws / "out")],
        "data gold": lambda ws, p: ["data", "gold", str(p), "--out", str(ws / "out")],
    }
    probes = []
    for consumer, args in consumers.items():
        for kind, content in BAD_TEXT.items():
            codes = (0, 2) if kind in ("utf-8 bom", "empty") else (2,)
            probes.append(cli_probe(f"files: {consumer}", kind, lambda ws, a=args, c=content: a(
                ws, write(ws / "in" / ("file.toml" if a is consumers["run CONFIG"] else "file.jsonl"), c)), codes))
        probes.append(cli_probe(f"files: {consumer}", "a directory", lambda ws, a=args: a(
            ws, (ws / "in" / "dir").mkdir(parents=True) or ws / "in" / "dir"), (0, 2)))
        probes.append(cli_probe(f"files: {consumer}", "missing", lambda ws, a=args: a(ws, ws / "in" / "missing.jsonl")))
    return probes


def out_family() -> list[Probe]:
    """``--out`` at an existing file, at a directory where a file goes, and at unwritable places."""
    def file_there(ws: Path) -> Path:
        return write(ws / "taken", "keep me\n")

    targets: dict[str, Callable[[Path], Path]] = {
        "an existing file": file_there,
        "under a file": lambda ws: file_there(ws) / "sub",
        "in /proc": lambda ws: Path("/proc/toolbench-probe/out"),
        "/dev/null": lambda ws: Path("/dev/null"),
    }
    commands: dict[str, Callable[[Path, Path], list[str]]] = {
        "plan": lambda ws, o: [*plan_args(ws, queries_file(ws))[:-2], "--out", str(o)],
        "convert-answers": lambda ws, o: ["convert-answers", str(trajectories_file(ws, [trajectory("1")])), "--out",
                                          str(o)],
        "view": lambda ws, o: ["view", str(trajectories_file(ws, [trajectory("1")])), "--out", str(o)],
        "data sft": lambda ws, o: ["data", "sft", str(trajectories_file(ws, [trajectory("1")])), "--out", str(o)],
        "eval exact": lambda ws, o: ["eval", "exact", str(trajectories_file(ws, [trajectory("1")])), "--queries",
                                     str(expected_queries(ws, ["1"])), "--out", str(o)],
        "report": lambda ws, o: ["report", str(trajectories_file(ws, [trajectory("1")])), "--out", str(o)],
        "data templates": lambda ws, o: ["data", "templates", "--g1", "2", "--g2", "0", "--g3", "0", "--out", str(o)],
        "run --out": lambda ws, o: ["run", str(run_config(ws)), "--out", str(o)],
        "catalog export": lambda ws, o: ["catalog", "export", "builtin", "-f", "openai", "--out", str(o)],
    }
    probes = []
    for cname, command in commands.items():
        for tname, target in targets.items():
            if cname == "catalog export" and tname in ("an existing file", "/dev/null"):
                continue  # overwriting a file it was asked to write is fine
            probes.append(cli_probe("--out", f"{cname} at {tname}", lambda ws, c=command, t=target: c(ws, t(ws)),
                                    after=_kept("taken")))
        if cname == "catalog export":
            probes.append(cli_probe("--out", f"{cname} at a directory", lambda ws, c=command: c(
                ws, (ws / "out").mkdir() or ws / "out")))
    return probes


def _kept(name: str) -> Callable[[Path, Cli], list[str]]:
    def check(ws: Path, run: Cli) -> list[str]:
        path = ws / name
        return [] if not path.exists() or path.read_text() == "keep me\n" else [f"{name} was overwritten"]
    return check


def empty_family() -> list[Probe]:
    """Empty run directories, empty result folders and empty files: an error, not an empty report."""
    inputs: dict[str, Callable[[Path], Path]] = {
        "empty dir": lambda ws: (ws / "in" / "run").mkdir(parents=True) or ws / "in" / "run",
        "empty results/": lambda ws: (ws / "in" / "run" / "results").mkdir(parents=True) or ws / "in" / "run",
        "empty trajectories.jsonl": lambda ws: write(ws / "in" / "trajectories.jsonl", ""),
    }
    commands: dict[str, Callable[[Path, Path], list[str]]] = {
        "convert-answers": lambda ws, p: ["convert-answers", str(p), "--out", str(ws / "out")],
        "eval exact": lambda ws, p: ["eval", "exact", str(p), "--queries", str(expected_queries(ws, ["1"])),
                                     "--out", str(ws / "out")],
        "eval pass": lambda ws, p: ["eval", "pass", str(p), "--out", str(ws / "out")],
        "data sft": lambda ws, p: ["data", "sft", str(p), "--out", str(ws / "out")],
        "report": lambda ws, p: ["report", str(p), "--out", str(ws / "out")],
        "view": lambda ws, p: ["view", str(p), "--out", str(ws / "out")],
    }
    probes = [cli_probe("empty runs", f"{c} on {i}", lambda ws, c=command, i=make: c(ws, i(ws)))
              for c, command in commands.items() for i, make in inputs.items()]
    probes.append(cli_probe("empty runs", "plan of an empty query file", lambda ws: plan_args(
        ws, write(ws / "in" / "q.jsonl", ""))))
    probes.append(cli_probe("empty runs", "plan of a file of blank lines", lambda ws: plan_args(
        ws, write(ws / "in" / "q.jsonl", "\n\n  \n"))))
    return probes


def duplicates_family() -> list[Probe]:
    dup = ["1", "2", "1"]
    repeated = "more than once|duplicate"
    return [
        cli_probe("duplicate ids", "plan", lambda ws: plan_args(ws, queries_file(ws, dup)), mention=repeated),
        cli_probe("duplicate ids", "plan (1 and '1')", lambda ws: plan_args(ws, queries_file(ws, [1, "1"])),
                  mention=repeated),
        cli_probe("duplicate ids", "run", lambda ws: ["run", str(run_config(ws, queries=expected_queries(ws, dup)))],
                  mention=repeated),
        cli_probe("duplicate ids", "data gold", lambda ws: ["data", "gold", str(write(ws / "in" / "gold.jsonl", jsonl(
            [query(i, extra={"gold_calls": [
            {"name": "calculator", "arguments": {"expression": "6*7"}}]}) for i in dup]))), "--out", str(ws / "out")],
                  mention=repeated),
        # ToolBench numbers queries per group, so eval reads repeated ids (made group/id); no error required
        cli_probe("duplicate ids", "eval exact --queries", lambda ws: [
            "eval", "exact", str(trajectories_file(ws, [trajectory("1")])), "--queries",
            str(expected_queries(ws, dup)), "--out", str(ws / "out")], (0, 2)),
    ]


# ("hf:" alone is the embedded default and "scripted:" an inline or cached script: both valid, so not probed)
MODEL_SPECS = ["hf:no-such-model-xyz", "hf:../../etc", "hf:/nonexistent/model", "nope:x", "", ":", "hf",
               "scripted:/nonexistent.jsonl", "scripted:DIR", "openai:", "hf:org/unknown-model", "hf:smollm2:extra"]


def models_family() -> list[Probe]:
    probes = []
    for spec in MODEL_SPECS:
        def spec_in(ws: Path, spec: str = spec) -> str:
            if spec == "scripted:DIR":
                (ws / "in" / "d").mkdir(parents=True, exist_ok=True)
                return f"scripted:{ws / 'in' / 'd'}"
            return spec

        probes.append(cli_probe("model specs: plan --model", repr(spec), lambda ws, s=spec_in: [
            *plan_args(ws, queries_file(ws))[:5], s(ws), *plan_args(ws, queries_file(ws))[6:]]))
        probes.append(cli_probe("model specs: chat --model", repr(spec), lambda ws, s=spec_in: [
            "chat", "hi", "--model", s(ws)]))
    return probes


CATALOGS: dict[str, str | bytes] = {
    "json syntax": '{"tool_name": "x", ', "list of ints": "[1, 2, 3]", "string": '"tools"', "empty list": "[]",
    "empty object": "{}", "tools not a list": '{"tools": 5}',
    "toolbench no api_list": json.dumps({"tool_name": "T", "category_name": "C"}),
    "api_list of strings": json.dumps({"tool_name": "T", "api_list": ["a", "b"]}),
    "parameters a string": json.dumps([{"type": "function", "function": {"name": "f", "parameters": "x"}}]),
    "required not a list": json.dumps([{"type": "function", "function": {
        "name": "f", "parameters": {"type": "object", "properties": {}, "required": 5}}}]),
    "function without name": json.dumps([{"type": "function", "function": {"description": "d"}}]),
    "duplicate functions": json.dumps([{"type": "function", "function": {"name": "f", "parameters": {}}}] * 2),
    "name 300 chars": json.dumps([{"type": "function", "function": {"name": "f" * 300, "parameters": {}}}]),
    "name with slash": json.dumps([{"type": "function", "function": {"name": "../../x", "parameters": {}}}]),
    "deep nesting": "[" * 100000 + "]" * 100000,
    "parameters nested 900 deep": json.dumps([{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"a": "NEST"}}}}]).replace('"NEST"', '{"items": ' * 900 + "{}" + "}" * 900),
    "non-utf8": b'[{"type": "function", "function": {"name": "\xff"}}]',
}
PY_CATALOGS = {"raises on import": "raise RuntimeError('boom')\n", "syntax error": "def f(:\n",
               "no functions": "X = 1\n", "exits": "import sys\nsys.exit(3)\n"}


def catalogs_family() -> list[Probe]:
    commands: dict[str, Callable[[Path, Path], list[str]]] = {
        "catalog stats": lambda ws, p: ["catalog", "stats", str(p)],
        "tools list": lambda ws, p: ["tools", "list", "-c", str(p)],
        "plan -c": lambda ws, p: ["plan", str(write(ws / "in" / "q.jsonl", jsonl([{"query_id": "1", "query": "q"}]))),
                                  "-c", str(p), "-e", "virtual", "--model", f"scripted:{replies_file(ws)}",
                                  "--out", str(ws / "out")],
    }
    probes = []
    for cname, command in commands.items():
        for kind, content in CATALOGS.items():
            probes.append(cli_probe(f"catalogs: {cname}", kind, lambda ws, c=command, t=content: c(
                ws, write(ws / "in" / "catalog.json", t)), (0, 2)))
        for kind, content in PY_CATALOGS.items():
            probes.append(cli_probe(f"catalogs: {cname}", f"python: {kind}", lambda ws, c=command, t=content: c(
                ws, write(ws / "in" / "tools_mod.py", t)), (0, 2)))
        probes.append(cli_probe(f"catalogs: {cname}", "module:function missing", lambda ws, c=command: c(
            ws, Path("no_such_module_xyz:func")), (2,)))
    return probes


AST_FILES: dict[str, tuple[str, str]] = {
    "answers a list of ints": (jsonl([{"id": "x", "result": [{"f": {"a": 1}}]}]), jsonl([{"id": "x",
                                                                                           "ground_truth": [1]}])),
    "answers a string": (jsonl([{"id": "x", "result": [{"f": {}}]}]), jsonl([{"id": "x", "ground_truth": "f"}])),
    "answers missing id": (jsonl([{"id": "x", "result": [{"f": {}}]}]), jsonl([{"ground_truth": []}])),
    "predictions result a dict": (jsonl([{"id": "x", "result": {"f": 1}}]), jsonl([{"id": "x", "ground_truth": [
        {"f": {"a": [1]}}]}])),
    "predictions result a string": (jsonl([{"id": "x", "result": "f(a=1)"}]), jsonl([{"id": "x", "ground_truth": [
        {"f": {"a": [1]}}]}])),
    "predictions null": (jsonl([None]), jsonl([{"id": "x", "ground_truth": [{"f": {"a": [1]}}]}])),
    "prediction args a list": (jsonl([{"id": "x", "result": [{"f": [1]}]}]), jsonl([{"id": "x", "ground_truth": [
        {"f": {"a": [1]}}]}])),
    "ground truth values not lists": (jsonl([{"id": "x", "result": [{"f": {"a": 1}}]}]), jsonl([{
        "id": "x", "ground_truth": [{"f": {"a": 1}}]}])),
    "tool_calls of strings": (jsonl([{"id": "x", "tool_calls": ["f"]}]), jsonl([{"id": "x", "ground_truth": [
        {"f": {"a": [1]}}]}])),
}


def ast_family() -> list[Probe]:
    return [cli_probe("eval ast shapes", kind, lambda ws, p=p, a=a: [
        "eval", "ast", "--predictions", str(write(ws / "in" / "pred.jsonl", p)), "--answers",
        str(write(ws / "in" / "possible_answer" / "answers.jsonl", a)), "--out", str(ws / "out")], (0, 2))
        for kind, (p, a) in AST_FILES.items()]


# ------------------------------------------------------------------------ secrets, lock, resume


def _no_secret(ws: Path, run: Cli) -> list[str]:
    symptoms = [f"secret in {p.relative_to(ws)}" for p in sorted(files_under(ws))
                if p.is_file() and SECRET.encode() in p.read_bytes() and not p.is_relative_to(ws / "in")]
    if SECRET in run.out or SECRET in run.err:
        symptoms.append("secret printed on the terminal")
    return symptoms


def secrets_family() -> list[Probe]:
    env = lambda ws: {"OPENAI_API_KEY": SECRET, "TB_PROBE_KEY": SECRET}  # noqa: E731
    configs = {
        "model options api_key = ${OPENAI_API_KEY}": dict(model_options='options = { api_key = "${OPENAI_API_KEY}" }'),
        "model options token = ${TB_PROBE_KEY}": dict(model_options='options = { token = "${TB_PROBE_KEY}" }'),
        "model options nested": dict(model_options='options = { headers = { Authorization = "${OPENAI_API_KEY}" } }'),
        "executor options ${VAR} (refused option)": dict(executor='kind = "builtin"\noptions = { key = '
                                                                  '"${OPENAI_API_KEY}" }'),
        "key in the environment only": dict(extra=""),
    }
    probes = []
    for name, kwargs in configs.items():
        codes = (2,) if "refused" in name else (0,)
        probes.append(cli_probe("secrets", f"run: {name}", lambda ws, k=kwargs: ["run", str(run_config(ws, **k))],
                                codes, after=_no_secret, env=env))
    probes.append(cli_probe("secrets", "plan --model-option api_key=VALUE", lambda ws: plan_args(
        ws, queries_file(ws), "--model-option", f"api_key={SECRET}"), (0,), after=_no_secret, env=env))
    probes.append(cli_probe("secrets", "plan, key in the environment only", lambda ws: plan_args(
        ws, queries_file(ws)), (0,), after=_no_secret, env=env))
    probes.append(cli_probe("secrets", "tool error echoing the key (http executor)", _echo_server_plan, (0,),
                            after=_no_secret, env=lambda ws: {"TOOLBENCH_KEY": SECRET}))
    return probes


class _EchoServer:
    """A 127.0.0.1 server answering every POST with an error that echoes the request (and its key)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Echo(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = json.dumps({"error": f"bad key in {body.decode('utf-8', 'replace')}", "response": ""})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/virtual"


_ECHO: list[_EchoServer] = []


def _echo_server_plan(ws: Path) -> list[str]:
    if not _ECHO:
        _ECHO.append(_EchoServer())
    return [*plan_args(ws, queries_file(ws, ["1"]))[:2], "-c", "builtin", "-e", "http", "--executor-option",
            f"server_url={_ECHO[0].url}", "--executor-option", "allow_private=true",
            *plan_args(ws, queries_file(ws, ["1"]))[4:]]


def lock_family() -> list[Probe]:
    def held(ws: Path, command: Callable[[Path], list[str]]) -> list[str]:
        from toolbench.store.runs import RunDir

        symptoms: list[str] = []
        args = command(ws)
        with RunDir(ws / "out").lock():
            run = toolbench(ws, *args)
        symptoms += judge_cli(run, (2,), mention="in use")
        return symptoms

    def two_processes(ws: Path) -> list[str]:
        args = plan_args(ws, queries_file(ws, [str(i) for i in range(60)]), replies=replies_file(ws, 60))
        env = {**os.environ, "TOOLBENCH_CACHE": str(ws / "cache"), "PYTHONPATH": str(ROOT)}
        procs = [subprocess.Popen([sys.executable, "-m", "toolbench", *args], cwd=ws, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        runs = [Cli(p.wait(CLI_TIMEOUT), "", p.stderr.read().decode("utf-8", "replace") if p.stderr else "", 0)
                for p in procs]
        for p in procs:
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        codes = sorted(r.code for r in runs)
        if any("Traceback" in r.err for r in runs):
            return ["traceback: " + next(r.err for r in runs if "Traceback" in r.err).strip().splitlines()[-1]]
        if codes == [0, 2]:
            return judge_cli(next(r for r in runs if r.code == 2), (2,), mention="in use")
        done = json.loads((ws / "out" / "config.json").read_text()) if (ws / "out" / "config.json").exists() else {}
        return [] if codes == [0, 0] and done is not None and "0 planned" in "".join(r.out for r in runs) else [
            f"two processes on one run dir: exit codes {codes}"]

    return [
        Probe("run lock", "plan while another process holds the run", lambda ws: held(
            ws, lambda w: plan_args(w, queries_file(w)))),
        Probe("run lock", "data gold while another process holds the run", lambda ws: held(
            ws, lambda w: ["data", "gold", str(write(w / "in" / "g.jsonl", jsonl([query("1", extra={"gold_calls": [
            {"name": "calculator", "arguments": {"expression": "6*7"}}]})]))), "--out", str(w / "out")])),
        Probe("run lock", "two plan processes started together", two_processes),
    ]


def resume_family() -> list[Probe]:
    def resumed(ws: Path, second: Callable[[Path], list[str]], codes: Sequence[int], mention: str) -> list[str]:
        first = toolbench(ws, *plan_args(ws, queries_file(ws, ["1"])))
        if first.code != 0:
            return [f"first plan failed: {first.err.strip()[-160:]}"]
        write(ws / "in" / "queries.jsonl", jsonl([query("1"), query("2")]))
        return judge_cli(toolbench(ws, *second(ws)), codes, mention=mention)

    other = lambda ws: replies_file(ws, name="other.jsonl")  # noqa: E731
    cases = {
        "another model": (lambda ws: plan_args(ws, ws / "in" / "queries.jsonl", replies=other(ws)), (2,), "--force"),
        "another model with --force": (lambda ws: plan_args(ws, ws / "in" / "queries.jsonl", "--force",
                                                            replies=other(ws)), (0,), ""),
        "another executor": (lambda ws: [*plan_args(ws, ws / "in" / "queries.jsonl")[:2], "-c", "builtin",
                                         "--executor", "virtual", *plan_args(ws, ws / "in" / "queries.jsonl")[4:]],
                             (2,), "--force"),
        "the same model file again": (lambda ws: plan_args(ws, ws / "in" / "queries.jsonl"), (0,), ""),
    }
    return [Probe("resume", name, lambda ws, s=s, c=c, m=m: resumed(ws, s, c, m)) for name, (s, c, m) in cases.items()]


def signals_family() -> list[Probe]:
    """SIGTERM / SIGINT in the middle of ``plan``: exit 130 within a second or two, the run consistent."""

    def interrupted(ws: Path, signum: int) -> list[str]:
        from toolbench.store.runs import RunDir

        n = 400
        args = plan_args(ws, queries_file(ws, [str(i) for i in range(n)]), replies=replies_file(ws, n))
        env = {**os.environ, "TOOLBENCH_CACHE": str(ws / "cache"), "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "toolbench", *args], cwd=ws, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + CLI_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None and len(RunDir(ws / "out").finished_ids()) < 3:
            time.sleep(0.02)
        sent = time.monotonic()
        proc.send_signal(signum)
        try:
            _, err_bytes = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return ["still running 30 s after the signal"]
        waited, err = time.monotonic() - sent, err_bytes.decode("utf-8", "replace")
        if "Traceback" in err:
            return ["traceback: " + err.strip().splitlines()[-1][:160]]
        finished = RunDir(ws / "out").finished_ids()
        if proc.returncode == 0 and len(finished) == n:
            return []  # finished before the signal landed: nothing to check
        symptoms = [] if proc.returncode == 130 else [f"exit {proc.returncode} after the signal (expected 130)"]
        if waited > 2.0:
            symptoms.append(f"stopped {waited:.1f} s after the signal")
        merged = ws / "out" / "trajectories.jsonl"
        ids = {json.loads(line)["query_id"] for line in merged.read_text().splitlines()} if merged.exists() else set()
        if ids != finished:
            symptoms.append(f"trajectories.jsonl has {len(ids)} queries, results/ {len(finished)}")
        if list((ws / "out").rglob("*.tmp")):
            symptoms.append("temporary files left behind")
        return symptoms

    import signal

    return [Probe("signals", name, lambda ws, s=signum: interrupted(ws, s))
            for name, signum in (("SIGTERM during plan", signal.SIGTERM), ("SIGINT during plan", signal.SIGINT))]


# -------------------------------------------------------------------------------- SQLite cache


def cache_variants(ws: Path) -> dict[str, Callable[[Path], None]]:
    def real(path: Path) -> None:
        from toolbench.executors.cache import ResponseCache

        cache = ResponseCache(path)
        for i in range(40):
            cache.put("A::B::C", {"i": i}, {"v": "x" * 200}, "real")
        cache.close()

    def zero_pages(path: Path) -> None:
        real(path)
        data = bytearray(path.read_bytes())
        data[100:] = bytes(len(data) - 100)
        path.write_bytes(bytes(data))

    def zero_all(path: Path) -> None:
        real(path)
        path.write_bytes(bytes(path.stat().st_size))

    def truncated(path: Path) -> None:
        real(path)
        path.write_bytes(path.read_bytes()[:1500])

    def header_flipped(path: Path) -> None:
        real(path)
        data = bytearray(path.read_bytes())
        data[0:16] = b"not sqlite at al"
        path.write_bytes(bytes(data))

    def other_schema(path: Path) -> None:
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE responses (x INTEGER)")
            db.commit()

    return {
        "zeroed pages": zero_pages, "all zero": zero_all, "truncated": truncated, "header flipped": header_flipped,
        "random text": lambda p: p.write_text("hello, this is not a database\n" * 50),
        "a directory": lambda p: p.mkdir(), "another schema": other_schema, "empty file": lambda p: p.write_bytes(b""),
    }


def cache_family() -> list[Probe]:
    probes = []
    for name in cache_variants(Path("/")):
        def prepared(ws: Path, name: str = name) -> Path:
            path = ws / "cache" / "responses.sqlite"
            path.parent.mkdir(parents=True, exist_ok=True)
            cache_variants(ws)[name](path)
            return path

        probes.append(cli_probe("sqlite cache: tools call -e virtual", name, lambda ws, f=prepared: [
            "tools", "call", "calculator", "-c", "builtin", "-e", "virtual", "-o", f"cache={f(ws)}", "-a",
            '{"expression": "6*7"}', "--json"], (0, 2), after=_call_not_silently_failed))
        probes.append(cli_probe("sqlite cache: plan -e virtual", name, lambda ws, f=prepared: [
            *plan_args(ws, queries_file(ws, ["1"]))[:2], "-c", "builtin", "--executor", "virtual",
            "--executor-option", f"cache={f(ws)}", *plan_args(ws, queries_file(ws, ["1"]))[4:]], (0, 2),
            after=_plan_not_silently_failed))
    return probes


def _call_not_silently_failed(ws: Path, run: Cli) -> list[str]:
    if run.code != 0:
        return []
    try:
        observation = json.loads(run.out)
    except ValueError:
        return [f"exit 0 without a JSON observation: {run.out[:120]!r}"]
    ok = not observation.get("error")
    return [] if ok else [f"exit 0 with a failed call: {str(observation.get('error'))[:120]}"]


def _plan_not_silently_failed(ws: Path, run: Cli) -> list[str]:
    if run.code != 0:
        return []
    merged = ws / "out" / "trajectories.jsonl"
    records = [json.loads(line) for line in merged.read_text().splitlines() if line] if merged.exists() else []
    failed = [s for r in records for s in r.get("steps", []) if (s.get("observation") or {}).get("error")]
    return [f"run reported success while {len(failed)} tool call(s) failed: "
            f"{str(failed[0]['observation'].get('error'))[:100]}"] if failed else []


# ---------------------------------------------------------------------------- executor (direct)


CALCULATOR = ["10**4400", "round(10**4000, -10**8)", "9" * 5000, "10**10**10", "2**2**2**2**2**2", "(10**999)**999",
              "factorial(10**6)", "1" + "*1" * 50000, "(" * 5000 + "1" + ")" * 5000, "1e308*10", "-(10**4300)",
              "10**4300 / 3", "int('9'*5000)", "__import__('os').system('true')", "[x for x in range(10**9)]",
              "sum(range(10**12))", "0**-1", "1/0", "", "a\x00b"]
UNITS = ["m**(9**9**9)", "m**(10**100)", "m**1e308", "m**-(9**9**9)", "(m**9)**9**9", "m" + "*m" * 20000,
         "kg**(2**64)/s", "x" * 100000, "meter**(1/0)", "m^999999999999"]
OTHER_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("factorial", {"n": 10**9}), ("fibonacci_number", {"n": 10**12}), ("prime_factors", {"n": 10**400 + 7}),
    ("is_prime", {"n": 2**4423 - 1}), ("number_to_words", {"number": 10**4000}),
    ("to_roman_numeral", {"number": 10**9}),
    ("greatest_common_divisor", {"numbers": [10**4000, 10**3999]}), ("mean", {"numbers": [1e308, 1e308]}),
    ("count_words", {"text": "a " * 5_000_000}), ("hash_text", {"text": "x" * 20_000_000, "algorithm": "sha256"}),
    ("base64_decode", {"data": "!!!" * 1000}), ("add_days", {"date": "2024-01-01", "days": 10**12}),
    ("percentile", {"numbers": [1, 2], "percent": 1e308}), ("list_public_holidays", {"country": "US", "year": 10**9}),
    ("reverse_text", {"text": "x" * 10**7, "unit": "word"}), ("convert_temperature", {
        "value": 1e308, "from_unit": "celsius", "to_unit": "kelvin"}),
    ("element_by_atomic_number", {"atomic_number": -1}), ("molar_mass", {"formula": "C" * 100000 + "99999999999"}),
    ("count_occurrences", {"text": "a" * 10**6, "substring": "", "case_sensitive": True}),
    ("currency_amount_in_words", {"amount": 1e300, "currency": "EUR"}),
]
TOOL_TIMEOUT = 2.0
SLACK = 3.0


def _call_probe(name: str, arguments: dict[str, Any]) -> Callable[[Path], list[str]]:
    def run(ws: Path) -> list[str]:
        from toolbench.types import ToolCall

        executor = _shared_executor()
        start = time.perf_counter()
        try:
            observation = executor.call(ToolCall("c", name, arguments))
        except BaseException as exc:  # noqa: BLE001 - the point of the probe
            return [f"{type(exc).__name__} escaped Executor.call: {str(exc)[:120]}"]
        seconds = time.perf_counter() - start
        symptoms = []
        if seconds > TOOL_TIMEOUT + SLACK:
            symptoms.append(f"took {seconds:.1f} s with timeout={TOOL_TIMEOUT}")
        try:
            json.loads(observation.content)
        except (ValueError, TypeError):
            symptoms.append(f"observation content is not JSON: {str(observation.content)[:80]!r}")
        return symptoms

    return run


_EXECUTORS: list[Any] = []
_EXECUTOR_LOCK = threading.Lock()


def _shared_executor() -> Any:
    with _EXECUTOR_LOCK:
        if not _EXECUTORS:
            from toolbench.builtin_world import builtin_executor

            _EXECUTORS.append(builtin_executor(timeout=TOOL_TIMEOUT))
        return _EXECUTORS[0]


def tools_family() -> list[Probe]:
    probes = [Probe("tool calls: calculator", repr(e)[:40], _call_probe("calculator", {"expression": e}))
              for e in CALCULATOR]
    probes += [Probe(f"tool calls: {tool}", repr(u)[:40], _call_probe(tool, args))
               for u in UNITS for tool, args in [("unit_dimension", {"unit": u}),
                                                 ("convert_units", {"value": 1, "from_unit": u, "to_unit": "m"})]]
    probes += [Probe("tool calls: other tools", f"{n} {_short(a)}", _call_probe(n, a)) for n, a in OTHER_CALLS]
    probes += [Probe("tool calls: executor options", f"builtin timeout={t!r}", _bad_timeout(t))
               for t in (0, -1, float("nan"), "abc", None)]
    # `tools call` exits 1 when the call fails (its documented "the tool said no"), 2 for bad input
    probes.append(cli_probe("tool calls: tools call CLI", "10**4400", lambda ws: [
        "tools", "call", "calculator", "-a", '{"expression": "10**4400"}', "-o", "timeout=2"], (1,)))
    probes.append(cli_probe("tool calls: tools call CLI", "m**(9**9**9)", lambda ws: [
        "tools", "call", "unit_dimension", "-a", '{"unit": "m**(9**9**9)"}', "-o", "timeout=2"], (1,)))
    probes.append(cli_probe("tool calls: tools call CLI", "args not an object", lambda ws: [
        "tools", "call", "calculator", "-a", "[1, 2]"], (1, 2)))
    probes.append(cli_probe("tool calls: tools call CLI", "args not JSON", lambda ws: [
        "tools", "call", "calculator", "-a", "{expression: 1"], (2,)))
    probes.append(cli_probe("tool calls: tools call CLI", "unknown function", lambda ws: [
        "tools", "call", "../../etc/passwd", "-a", "{}"], (1, 2)))
    probes.append(cli_probe("tool calls: tools call CLI", "arguments nested 900 deep", lambda ws: [
        "tools", "call", "calculator", "-a", '{"expression": ' + "[" * 900 + "]" * 900 + "}"], (1, 2)))
    return probes


def _short(arguments: dict[str, Any]) -> str:
    """A probe name for tool arguments (big ints are not printed: str() refuses past 4300 digits)."""
    return ", ".join(f"{k}={'<int>' if isinstance(v, int) else str(v)[:12]}" for k, v in arguments.items())


def _bad_timeout(value: Any) -> Callable[[Path], list[str]]:
    def run(ws: Path) -> list[str]:
        from toolbench.builtin_world import builtin_executor
        from toolbench.errors import ToolbenchError

        try:
            executor = builtin_executor(timeout=value)
        except ToolbenchError:
            return []
        except Exception as exc:  # noqa: BLE001
            return [f"{type(exc).__name__} instead of a ConfigError: {str(exc)[:100]}"]
        executor.close()
        return [f"timeout={value!r} accepted"]

    return run


SSRF_HOSTS = ["100.64.0.1", "100.100.100.200", "100.127.255.254", "[2002:7f00:1::]", "[2002:a9fe:a9fe::]",
              "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "169.254.169.254",
              "127.0.0.1", "0.0.0.0", "[::1]", "localhost", "10.0.0.1", "192.168.1.1", "127.1", "2130706433",
              "0x7f000001", "[fd00::1]", "[2001::a9fe:a9fe]", "[::127.0.0.1]", "224.0.0.1", "255.255.255.255"]


def ssrf_family() -> list[Probe]:
    def probe(host: str, mode: str) -> Callable[[Path], list[str]]:
        def run(ws: Path) -> list[str]:
            from toolbench.executors import build_executor
            from toolbench.loaders import load_catalog
            from toolbench.types import ToolCall

            url = f"http://{host}:9/api"
            record = {"tool_name": "T", "category_name": "C", "api_list": [
                {"name": "get", "url": url, "method": "GET", "description": "d", "required_parameters": [],
                 "optional_parameters": []}]}
            catalog = load_catalog(write(ws / "catalog.json", json.dumps(record)))
            options = {"server_url": url} if mode == "server_url" else {}
            executor = build_executor("http", catalog, timeout=2.0, retries=0, **options)
            try:
                start = time.perf_counter()
                observation = executor.call(ToolCall("c", catalog.function_name(catalog.ids[0]), {}))
            finally:
                executor.close()
            if "refusing" not in (observation.error or ""):
                return [f"not refused: {observation.status} {str(observation.error or observation.content)[:100]}"]
            return [] if time.perf_counter() - start < 2.0 else ["refusal took a connection attempt's time"]

        return run

    return [Probe(f"ssrf: {mode}", host, probe(host, mode)) for host in SSRF_HOSTS for mode in ("rest url",
                                                                                                  "server_url")]


# ---------------------------------------------------------------------------------------- runner


FAMILIES: dict[str, Callable[[], list[Probe]]] = {
    "usage": usage_family, "numbers": numbers_family, "ids": ids_family, "results": results_family,
    "records": records_family,
    "files": encoding_family, "out": out_family, "empty": empty_family, "duplicates": duplicates_family,
    "models": models_family, "catalogs": catalogs_family, "ast": ast_family, "secrets": secrets_family,
    "lock": lock_family, "resume": resume_family, "signals": signals_family, "cache": cache_family,
    "tools": tools_family, "ssrf": ssrf_family,
}


def all_probes(only: Sequence[str] = ()) -> list[Probe]:
    """Every probe, or those of the families (or family labels) containing one of ``only``."""
    probes = [p for make in FAMILIES.values() for p in make()]
    if only:
        probes = [p for p in probes if any(o in p.family for o in only)]
    return probes


def run_probe(probe: Probe, root: Path, index: int) -> Result:
    ws = root / f"p{index:04d}"
    ws.mkdir()
    start = time.perf_counter()
    try:
        symptoms = probe.run(ws)
    except Exception as exc:  # noqa: BLE001 - a harness failure is reported, not fatal
        symptoms = [f"probe itself failed: {type(exc).__name__}: {str(exc)[:160]}"]
    result = Result(probe, symptoms, time.perf_counter() - start)
    if not symptoms:
        shutil.rmtree(ws, ignore_errors=True)
    return result


def run_probes(probes: Sequence[Probe], workers: int = 2, root: Path | None = None,
               progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Run ``probes`` (``workers`` at a time) in workspaces under ``root`` (a temporary folder)."""
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tb-probes-")))
        root.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(run_probe, p, root, i) for i, p in enumerate(probes)]
            results = []
            for future in futures:
                results.append(future.result())
                if progress:
                    progress(results[-1])
        stray = sorted(p for p in root.iterdir() if not (p.is_dir() and p.name.startswith("p")))  # "../" escapes
        if stray:
            results.append(Result(Probe("containment", "temp root", lambda ws: []),
                                  [f"files written beside the probe workspaces: {stray[:3]}"]))
        for executor in _EXECUTORS:
            executor.close()
        _EXECUTORS.clear()
    return results


def table(results: Sequence[Result]) -> str:
    """The summary table and the list of unclean probes."""
    families: dict[str, list[Result]] = {}
    for r in results:
        families.setdefault(r.probe.family, []).append(r)
    width = max(len(f) for f in families) if families else 10
    lines = [f"{'probe family':<{width}}  tried  clean", f"{'-' * width}  -----  -----"]
    for family, rs in families.items():
        lines.append(f"{family:<{width}}  {len(rs):>5}  {sum(not r.symptoms for r in rs):>5}")
    clean = sum(not r.symptoms for r in results)
    lines += [f"{'total':<{width}}  {len(results):>5}  {clean:>5}", ""]
    unclean = [r for r in results if r.symptoms]
    if unclean:
        lines.append(f"unclean probes ({len(unclean)}):")
        for r in unclean:
            lines.append(f"- [{r.probe.family}] {r.probe.name!s:.60}: {'; '.join(r.symptoms)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", default=[], help="Only families containing this (repeatable).")
    parser.add_argument("--workers", type=int, default=2, help="Probes at once (each may start a subprocess).")
    parser.add_argument("--keep", type=Path, help="Run in this folder and keep unclean probes' workspaces.")
    parser.add_argument("--list", action="store_true", help="List the probes and exit.")
    args = parser.parse_args(argv)
    probes = all_probes(args.family)
    if args.list:
        for p in probes:
            print(f"[{p.family}] {p.name!s:.80}")  # noqa: T201 - a script's output
        print(f"{len(probes)} probes")  # noqa: T201
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = [0]

    def progress(result: Result) -> None:
        done[0] += 1
        mark = "." if not result.symptoms else "x"
        print(mark, end="\n" if done[0] % 80 == 0 else "", file=sys.stderr, flush=True)  # noqa: T201

    results = run_probes(probes, args.workers, args.keep, progress)
    print(file=sys.stderr)  # noqa: T201
    print(table(results))  # noqa: T201 - the report
    print(f"\n{len(results)} probes in {time.perf_counter() - start:.0f} s")  # noqa: T201
    return 1 if any(r.symptoms for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
