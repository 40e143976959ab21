"""``toolbench plan`` and ``toolbench convert-answers`` end to end (scripted model, built-in tools)."""

from __future__ import annotations

import json

import pytest

from toolbench.app.cli import main
from toolbench.store.run_io import read_run
from toolbench.types import FinishReason


def _script(path, n):
    replies = []
    for _ in range(n):
        replies.append({"content": "Let me compute.", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'}}]})
        replies.append({"content": None, "tool_calls": [{"id": "b", "type": "function", "function": {
            "name": "Finish", "arguments": '{"return_type": "give_answer", "final_answer": "42"}'}}]})
    path.write_text("".join(json.dumps(r) + "\n" for r in replies))


def test_plan_cli_builtin_world(tmp_path, capsys):
    queries = tmp_path / "queries.jsonl"
    queries.write_text("".join(json.dumps({"schema_version": 1, "query_id": str(i), "query": "What is 6*7?",
                                            "api_ids": ["Mathematics::Calculator::calculator"]}) + "\n"
                               for i in range(2)))
    script = tmp_path / "replies.jsonl"
    _script(script, 2)
    out = tmp_path / "run"
    code = main(["plan", str(queries), "--executor", "builtin", "--model", f"scripted:{script}", "--concurrency", "1",
                 "--out", str(out), "--toolbench-answers"])
    assert code == 0, capsys.readouterr().err
    trajectories = read_run(out)
    assert [t.finish_reason for t in trajectories] == [FinishReason.GIVE_ANSWER] * 2
    assert trajectories[0].steps[0].observation.content and trajectories[0].final_answer == "42"
    assert trajectories[0].steps[0].observation.ok
    assert sorted(p.name for p in (out / "answers").iterdir()) == ["0_DFS_woFilter_w2.json", "1_DFS_woFilter_w2.json"]
    # resume: nothing left to do, the scripted model is not called again (an empty script would fail)
    script.write_text("")
    assert main(["plan", str(queries), "--executor", "builtin", "--model", f"scripted:{script}",
                 "--out", str(out)]) == 0
    converted = tmp_path / "converted"
    assert main(["convert-answers", str(out), "--out", str(converted)]) == 0
    [back] = [t for t in read_run(converted / "all.json") if t.query_id == "0"]
    assert back.final_answer == "42"


def test_plan_cli_bad_input(tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"schema_version": 1, "query_id": "1", "query": "x"}\n')
    script = tmp_path / "replies.jsonl"
    _script(script, 1)
    code = main(["plan", str(queries), "--executor", "builtin", "--model", f"scripted:{script}",
                 "--method", "nope", "--out", str(tmp_path / "r")])
    assert code == 2 and "unknown search algorithm 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    code = main(["plan", str(queries), "--executor", "builtin", "--model", f"scripted:{script}",
                 "--width", "0", "--out", str(tmp_path / "r")])
    assert code == 2 and "width must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_sigterm_leaves_a_consistent_run_dir(tmp_path):
    """``kill`` (SIGTERM) on ``toolbench plan``: running queries stop, results are merged, exit 130."""
    import signal
    import subprocess
    import sys
    import time

    from toolbench.models.local_server import LocalOpenAIServer
    from toolbench.store.runs import RunDir

    pytest.importorskip("openai")
    queries = tmp_path / "queries.jsonl"
    queries.write_text("".join(json.dumps({"schema_version": 1, "query_id": str(i), "query": f"q{i}",
                                            "api_ids": ["Mathematics::Calculator::calculator"]}) + "\n"
                               for i in range(200)))
    out = tmp_path / "run"
    with LocalOpenAIServer(latency=0.05) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "toolbench", "plan", str(queries), "--executor", "builtin", "--method", "cot",
             "--max-actions", "2", "--model", "openai:local", "--model-option", f"base_url={server.base_url}",
             "--model-option", "api_key=none", "--concurrency", "2", "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(RunDir(out).finished_ids()) < 3:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]
    finished = RunDir(out).finished_ids()
    merged = [json.loads(line)["query_id"] for line in (out / "trajectories.jsonl").read_text().splitlines()]
    assert 3 <= len(finished) < 200 and sorted(merged) == sorted(finished)
    assert not list((out / "results").glob(".*.tmp"))
