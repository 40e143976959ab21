"""Seeded fuzzing of what users and models hand us: query, result and cache files, tool arguments.

Whatever the input: no traceback, exit code 0 or 2, no exception out of ``Executor.call``,
and nothing written outside the output directory. The generator is seeded, so a failure
reproduces; raise ``CASES`` locally to search longer.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from toolbench.app.cli import main
from toolbench.builtin_world import builtin_catalog, builtin_executor
from toolbench.errors import InputError
from toolbench.executors.cache import ResponseCache
from toolbench.store.runs import RunDir
from toolbench.types import FinishReason, ToolCall, Trajectory

SEED = 20
CASES = 12
HOSTILE: list[Any] = [
    "../../x", "/abs/x", "a\x00b", "q" * 300, "Ünïcødé 名前", "", " ", None, -1, 0, 10**30, 1e308, float("-inf"),
    [], {}, [[[[[]]]]], {"a": {"b": {"c": None}}}, "10**4400", "round(10**4000, -10**8)", "m**(9**9**9)", True,
    "${OPENAI_API_KEY}", "2024-02-30", "\\u0000", "9" * 5000,
]


def hostile(rng: random.Random) -> Any:
    """A hostile value, or a random string of printable, control and non-ASCII characters."""
    if rng.random() < 0.7:
        return rng.choice(HOSTILE)
    return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 32), rng.randrange(160, 0x3000)]))
                   for _ in range(rng.randrange(0, 40)))


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Flip, cut, insert invalid UTF-8/NUL, or duplicate lines of ``data``."""
    data = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        kind = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif kind == 1:
            del data[at:]
        elif kind == 2:
            data[at:at] = rng.choice([b"\xff\xfe", b"\x00", b"\xc3", b'"', b"}", b"\n"])
        elif kind == 3:
            lines = bytes(data).splitlines(keepends=True)
            if lines:
                data = bytearray(b"".join(lines + [rng.choice(lines)]))
        else:
            data[at:at] = json.dumps(hostile(rng), default=str).encode()
    return bytes(data)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_tool_arguments_never_break_the_executor() -> None:
    rng = random.Random(SEED)
    catalog = builtin_catalog()
    executor = builtin_executor(timeout=3.0)
    start = time.perf_counter()
    try:
        for api in catalog:
            name = catalog.function_name(api.id)
            properties = list(api.parameters.get("properties", {}))
            for _ in range(3):
                arguments = {key: hostile(rng) for key in properties if rng.random() < 0.9}
                if rng.random() < 0.2:
                    arguments[str(hostile(rng))] = hostile(rng)
                observation = executor.call(ToolCall("c", name, arguments))
                json.loads(observation.content)
                assert observation.status is not None
    finally:
        executor.close()
    assert time.perf_counter() - start < 300


def _plan(tmp_path: Path, queries: Path, replies: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files_under(tmp_path)
    code = main(["plan", str(queries), "-c", "builtin", "--executor", "builtin", "--model", f"scripted:{replies}",
                 "--out", str(out), "-j", "1", "--max-llm-calls", "3", "--toolbench-answers"])
    _, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
    written = files_under(tmp_path) - before
    assert all(p.is_relative_to(out) for p in written), sorted(map(str, written))


def test_query_files_never_give_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    replies = tmp_path / "replies.jsonl"
    finish = {"name": "Finish", "arguments": {"return_type": "give_answer", "final_answer": "42"}}
    replies.write_text(json.dumps({"content": "done", "tool_calls": [finish]}) + "\n")
    apis = [builtin_catalog().ids[0]]
    good = "".join(json.dumps({"query_id": str(i), "query": f"question {i}", "api_ids": apis}) + "\n" for i in range(3))
    for case in range(CASES):
        queries = tmp_path / "in" / f"q{case}.jsonl"
        queries.parent.mkdir(exist_ok=True)
        if case % 3 == 0:  # hostile ids in an otherwise valid file
            ids = [hostile(rng) for _ in range(2)]
            text = "".join(json.dumps({"query_id": i, "query": "q", "api_ids": apis}, default=str) + "\n" for i in ids)
            queries.write_text(text, encoding="utf-8", errors="surrogatepass")
        else:
            queries.write_bytes(mutate(rng, good.encode()))
        _plan(tmp_path, queries, replies, tmp_path / "out" / f"run{case}", capsys)


def test_result_and_cache_files_never_give_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    run = RunDir(tmp_path / "run")
    good = run.write_result(Trajectory("1", "q", "cot", finish_reason=FinishReason.GIVE_ANSWER, final_answer="a"))
    cache_path = tmp_path / "cache.sqlite"
    cache = ResponseCache(cache_path)
    for i in range(50):
        cache.put("A::B::C", {"i": i}, {"v": "x" * 100}, "real")
    cache.close()
    clean_cache = cache_path.read_bytes()
    for case in range(CASES):
        (run.results / f"bad{case}.json").write_bytes(mutate(rng, good.read_bytes()))
        assert "1" in run.finished_ids()
        for extra in tmp_path.glob("cache.sqlite-*"):
            extra.unlink()
        cache_path.write_bytes(mutate(rng, clean_cache))
        with contextlib.suppress(InputError):  # a clear error is fine, a traceback is not
            ResponseCache(cache_path).close()
        out = tmp_path / "converted" / str(case)
        before = files_under(tmp_path)
        code = main(["convert-answers", str(run.path), "--out", str(out), "--to", rng.choice(
            ["stabletooleval", "toolbench", "trajectories"])])
        _, err = capsys.readouterr()
        assert code in (0, 2) and "Traceback" not in err, err
        assert all(p.is_relative_to(out) for p in files_under(tmp_path) - before)
