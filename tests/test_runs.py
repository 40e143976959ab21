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


def test_an_empty_run_is_an_input_error(tmp_path, capsys):
    """A run folder with an empty results/ or an empty trajectories.jsonl: an error, not an empty report."""
    from toolbench.app.cli import main

    (tmp_path / "run" / "results").mkdir(parents=True)
    (tmp_path / "t.jsonl").write_text("")
    for path in (tmp_path / "run", tmp_path / "t.jsonl"):
        with pytest.raises(InputError, match="no finished queries"):
            read_run(path)
        assert main(["convert-answers", str(path), "--out", str(tmp_path / "out")]) == 2
        assert "no finished queries" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", [b"[1, 2]", b'{"schema_version": 1}', b"\xff\xfe\x00garbage", b'"text"',
                                     b'{"schema_version": 1, "query_id": "9", "steps": 3}'])
def test_result_files_of_the_wrong_shape_are_ignored(tmp_path, content):
    run = RunDir(tmp_path)
    run.write_result(Trajectory("1", "q", "cot", finish_reason=FinishReason.GIVE_UP))
    (tmp_path / "results" / "9.json").write_bytes(content)
    assert run.finished_ids() == {"1"}
    assert [t.query_id for t in run.iter_results()] == ["1"]
    assert [t.query_id for t in read_run(tmp_path)] == ["1"]


def test_non_utf8_jsonl_is_an_input_error(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": "\xff"}\n')
    with pytest.raises(InputError, match="record 2: not UTF-8"):
        list(iter_jsonl(path, versioned=False))


def test_a_run_directory_is_locked_while_in_use(tmp_path):
    import subprocess
    import sys

    with RunDir(tmp_path).lock():
        script = ("import sys; from toolbench.store.runs import RunDir\n"
                  "try:\n    RunDir(sys.argv[1]).lock().__enter__()\nexcept Exception as e:\n    print(e); sys.exit(3)")
        other = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                               timeout=60, check=False, cwd=__import__("pathlib").Path(__file__).parent.parent)
        assert other.returncode == 3 and "in use by process" in other.stdout
    with RunDir(tmp_path).lock():  # released
        pass
