"""Run directories: atomic per-query results, merge, resume, read_run."""

from __future__ import annotations

import json

import pytest

from toolbench.errors import InputError, SchemaVersionError
from toolbench.store import iter_jsonl
from toolbench.store.run_io import read_run
from toolbench.store.runs import RunDir, merge_results, pending, result_filename
from toolbench.types import FinishReason, Query, Trajectory


def _traj(qid: str) -> Trajectory:
    return Trajectory(qid, f"query {qid}", "cot", finish_reason=FinishReason.GIVE_ANSWER, final_answer=qid)


def test_write_merge_and_read(tmp_path):
    run = RunDir(tmp_path / "run")
    for qid in ["10", "2", "b"]:
        run.write_result(_traj(qid))
    assert run.finished_ids() == {"10", "2", "b"}
    merged = merge_results(run.path)
    assert [r["query_id"] for r in iter_jsonl(merged)] == ["2", "10", "b"]
    assert [t.query_id for t in read_run(run.path)] == ["2", "10", "b"]
    assert [t.final_answer for t in read_run(merged)] == ["2", "10", "b"]


def test_resume_skips_finished_and_ignores_torn_files(tmp_path):
    run = RunDir(tmp_path)
    run.write_result(_traj("1"))
    (run.results / "2.json").write_text('{"schema_version": 1, "query_id": "2", "qu')  # torn (never by us)
    (run.results / ".3.json.abc.tmp").write_text("partial")  # a temp file left by a kill
    todo = pending([Query("1", "a"), Query("2", "b"), Query("3", "c")], tmp_path)
    assert [q.query_id for q in todo] == ["2", "3"]
    assert [t.query_id for t in read_run(tmp_path)] == ["1"]


def test_unsafe_ids_get_distinct_files():
    assert result_filename("a/b") != result_filename("a_b")
    assert "/" not in result_filename("../x")


def test_read_run_of_toolbench_answers(shared_data):
    trajectories = read_run(shared_data / "toolbench" / "data_example" / "answer")
    assert len(trajectories) == 15


def test_read_run_errors(tmp_path):
    with pytest.raises(InputError):
        read_run(tmp_path / "missing")
    with pytest.raises(InputError):
        read_run(tmp_path)
    bad = tmp_path / "t.jsonl"
    bad.write_text(json.dumps({"schema_version": 99, "query_id": "1"}) + "\n")
    with pytest.raises(SchemaVersionError):
        read_run(bad)
