"""``toolbench runs merge``: shards streamed into one run; duplicates kept once, conflicts reported."""

from __future__ import annotations

import json
import tracemalloc
from dataclasses import replace
from pathlib import Path

from toolbench.app.cli import main
from toolbench.store import read_jsonl
from toolbench.store.merge import merge_runs
from toolbench.store.run_io import read_run
from toolbench.store.runs import RunDir
from toolbench.types import FinishReason, Trajectory

N = 12


def _queries(path: Path) -> Path:
    path.write_text("".join(json.dumps({"schema_version": 1, "query_id": str(i), "query": f"What is 6*{i}?",
                                        "api_ids": ["Mathematics::Calculator::calculator"]}) + "\n"
                            for i in range(N)))
    return path


def _script(path: Path) -> Path:
    call = {"name": "calculator", "arguments": '{"expression": "6*7"}'}
    finish = {"name": "Finish", "arguments": '{"return_type": "give_answer", "final_answer": "42"}'}
    replies = [{"content": "Compute.", "tool_calls": [{"id": "a", "type": "function", "function": call}]},
               {"content": None, "tool_calls": [{"id": "b", "type": "function", "function": finish}]}] * N
    path.write_text("".join(json.dumps(r) + "\n" for r in replies))
    return path


def _plan(tmp_path: Path, out: Path, *extra: str) -> None:
    args = ["plan", str(_queries(tmp_path / "q.jsonl")), "--executor", "builtin", "--method", "cot",
            "--concurrency", "1", "--model", f"scripted:{_script(tmp_path / 's.jsonl')}", "--out", str(out), *extra]
    assert main(args) == 0


def _essence(trajectory: Trajectory) -> tuple:
    """What planning decided (wall-clock usage left out)."""
    return (trajectory.query_id, trajectory.finish_reason, trajectory.final_answer,
            [(s.action.name if s.action else None, s.observation.content if s.observation else None)
             for s in trajectory.steps])


def test_three_shards_merge_into_the_unsharded_run(tmp_path, capsys):
    shards = [tmp_path / f"shard{i}" for i in (1, 2, 3)]
    for i, shard in enumerate(shards, 1):
        _plan(tmp_path, shard, "--shard", f"{i}/3")
    _plan(tmp_path, tmp_path / "whole")
    capsys.readouterr()
    merged = tmp_path / "merged"
    assert main(["runs", "merge", *map(str, shards), "--out", str(merged)]) == 0
    out = capsys.readouterr().out
    assert f"{N} trajectories from 3 run(s): {N} added, 0 identical duplicates, 0 conflicts; {N} queries" in out
    got, want = read_run(merged), read_run(tmp_path / "whole")
    assert [t.query_id for t in got] == [str(i) for i in range(N)]
    assert [_essence(t) for t in got] == [_essence(t) for t in want]
    assert all(t.finish_reason == FinishReason.GIVE_ANSWER for t in got)
    lines = [r["query_id"] for r in read_jsonl(merged / "trajectories.jsonl")]
    assert lines == [str(i) for i in range(N)] and read_jsonl(merged / "conflicts.jsonl") == []
    config = json.loads((merged / "config.json").read_text())["config"]
    assert config["merged_from"] == [str(s) for s in shards] and config["shard"] == ""
    # a normal run directory: planning the whole query file into it has nothing left to do
    (tmp_path / "s.jsonl").write_text("")
    args = ["plan", str(tmp_path / "q.jsonl"), "--executor", "builtin", "--method", "cot", "--model",
            f"scripted:{tmp_path / 's.jsonl'}", "--out", str(merged)]
    assert main(args) == 0 and f"0 planned ({N} already done)" in capsys.readouterr().out


def test_identical_duplicates_are_kept_once_and_conflicts_are_reported(tmp_path, capsys):
    first = tmp_path / "first"
    _plan(tmp_path, first, "--limit", "4")
    # the same query 2 planned otherwise, in another run, plus a query only it has
    other = RunDir(tmp_path / "other")
    original = next(t for t in RunDir(first).iter_results() if t.query_id == "2")
    other.write_result(replace(original, final_answer="41"))
    other.write_result(replace(original, query_id="99"))
    merged = tmp_path / "merged"
    code = main(["runs", "merge", str(first), str(first), str(other.path), "--out", str(merged)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"conflict: query 2: kept {first}, dropped {other.path} (differs in final_answer)" in out
    assert "10 trajectories from 3 run(s): 5 added, 4 identical duplicates, 1 conflicts" in out
    assert [t.final_answer for t in read_run(merged) if t.query_id == "2"] == ["42"]  # the first is kept
    assert read_jsonl(merged / "conflicts.jsonl") == [
        {"schema_version": 1, "query_id": "2", "kept": str(first), "dropped": str(other.path),
         "fields": ["final_answer"]}]
    assert sorted(RunDir(merged).finished_ids(), key=int) == ["0", "1", "2", "3", "99"]
    # merging again into the same OUT: everything is already there, the conflict is found again
    assert main(["runs", "merge", str(other.path), "--out", str(merged), "--fail-on-conflict"]) == 1
    assert "2 trajectories from 1 run(s): 0 added, 1 identical duplicates, 1 conflicts" in capsys.readouterr().out
    assert len(read_jsonl(merged / "conflicts.jsonl")) == 1


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    run = tmp_path / "run"
    _plan(tmp_path, run, "--limit", "1")
    capsys.readouterr()
    assert main(["runs", "merge", str(tmp_path / "missing"), "--out", str(tmp_path / "m")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["runs", "merge", str(run), "--out", str(run)]) == 2
    assert "is also the output" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["runs", "merge", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "m")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_merge_streams_memory_stays_flat(tmp_path):
    source = RunDir(tmp_path / "big")
    template = Trajectory.from_dict({"query_id": "0", "query": "q" * 80_000, "method": "cot"})
    for i in range(150):  # 150 trajectories of ~80 kB: ~12 MB
        source.write_result(replace(template, query_id=str(i)))
    tracemalloc.start()
    result = merge_runs([source.path], tmp_path / "merged")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.added == 150 and len(read_jsonl(tmp_path / "merged" / "trajectories.jsonl")) == 150
    assert peak < 2_000_000, peak  # a few trajectories at a time, not all of them


def test_an_input_still_being_planned_is_reported(tmp_path, capsys):
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    _plan(tmp_path, run, "--limit", "2")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom toolbench.store.runs import RunDir\n"
                               "with RunDir(sys.argv[1]).lock():\n    print('locked', flush=True)\n"
                               "    time.sleep(60)", str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        capsys.readouterr()
        assert main(["runs", "merge", str(run), "--out", str(tmp_path / "m")]) == 0
        assert f"warning: {run} is still being planned" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert main(["runs", "merge", str(run), "--out", str(tmp_path / "m")]) == 0
    assert "still being planned" not in capsys.readouterr().err
