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


BAD_RECORDS = [{"steps": "x"}, {"final_answer": [1]}, {"usage": "lots"}, {"messages": [{"x": 1}]},
               {"finish_reason": "zzz"}, {"final_answer": 5}, {"config": "x"}, {"query": ["q"]}, {"tree": "x"}]


@pytest.mark.parametrize("change", BAD_RECORDS)
def test_trajectory_records_of_another_shape_are_input_errors(tmp_path, change, capsys):
    """In trajectories.jsonl: a one-line error naming the line; as a result file: ignored (and re-planned)."""
    from toolbench.app.cli import main

    good = {**Trajectory("0", "q", "cot", final_answer="a").to_dict(), "schema_version": 1}
    record = {**good, "query_id": "1", **change}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(InputError, match=r"t.jsonl: record 2: not a trajectory"):
        read_run(path)
    for command in (["convert-answers", str(path)], ["data", "sft", str(path)]):
        assert main([*command, "--out", str(tmp_path / "out")]) == 2
        assert "record 2: not a trajectory" in capsys.readouterr().err
    run = RunDir(tmp_path / "run")
    run.results.mkdir(parents=True)
    (run.results / "1.json").write_text(json.dumps(record))
    (run.results / "2.json").write_text("[" * 100_000 + "]" * 100_000)  # past json's recursion limit
    assert run.finished_ids() == set()


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


def test_finished_ids_come_from_the_manifest_without_parsing_results(tmp_path, monkeypatch):
    import toolbench.store.runs as runs

    run = RunDir(tmp_path / "run")
    for qid in ["1", "2", "a/b"]:
        run.write_result(_traj(qid))
    assert [r["query_id"] for r in iter_jsonl(run.manifest)] == ["1", "2", "a/b"]
    parsed = []
    monkeypatch.setattr(runs, "_read_result", lambda path: parsed.append(path))
    assert run.finished_ids() == {"1", "2", "a/b"} and parsed == []


def test_a_torn_manifest_line_is_tolerated_and_repaired(tmp_path):
    run = RunDir(tmp_path / "run")
    for qid in ["1", "2"]:
        run.write_result(_traj(qid))
    with run.manifest.open("ab") as handle:  # killed inside the append of "3" (its result file is whole)
        handle.write(b'{"schema_version": 1, "query_id": "')
    (run.results / result_filename("3")).write_text(json.dumps({"schema_version": 1, **_traj("3").to_dict()}))
    assert run.finished_ids() == {"1", "2", "3"}  # the file the manifest does not name is parsed
    assert run.finished(repair=True).keys() == {"1", "2", "3"}
    run.write_result(_traj("4"))  # appends after a whole line again
    assert [r["query_id"] for r in iter_jsonl(run.manifest)] == ["1", "2", "3", "4"]


def test_manifest_lines_without_a_result_file_are_not_finished(tmp_path):
    run = RunDir(tmp_path / "run")
    for qid in ["1", "2"]:
        run.write_result(_traj(qid))
    run.result_path("2").unlink()  # a user removed a result to redo it
    assert run.finished_ids() == {"1"}
    assert [t.query_id for t in read_run(run.path)] == ["1"]


def test_an_old_layout_run_dir_resumes_and_reads(tmp_path):
    from planner_fakes import RuleModel, tool_catalog

    from planner.config import PlannerConfig
    from planner.runner import run_queries
    from toolbench.executors import build_executor

    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    add_id = next(i for i in catalog.ids if i.endswith("add"))
    queries = [Query(str(n), f"What is {n} plus 1?", api_ids=[add_id]) for n in range(6)]
    out = tmp_path / "old"
    run_queries(queries[:4], catalog, RuleModel(), executor, PlannerConfig(), out)
    (out / "finished.jsonl").unlink()  # a run directory written before the manifest existed
    (out / "results" / result_filename("1")).unlink()
    assert [t.query_id for t in read_run(out)] == ["0", "2", "3"]
    model = RuleModel()
    stats = run_queries(queries, catalog, model, executor, PlannerConfig(), out)
    assert (stats.skipped, stats.done, model.calls) == (3, 3, 6)  # exactly 1, 4 and 5 were planned
    assert sorted(r["query_id"] for r in iter_jsonl(out / "finished.jsonl")) == ["0", "1", "2", "3", "4", "5"]
    assert [r["query_id"] for r in iter_jsonl(out / "trajectories.jsonl")] == ["0", "1", "2", "3", "4", "5"]


def test_merge_and_sft_export_stream(tmp_path):
    import tracemalloc
    from dataclasses import replace

    from data.sft import SftConfig
    from data.sft_dataset import build_sft_dataset
    from toolbench.types import Message

    run = RunDir(tmp_path / "big")
    template = replace(_traj("0"), query="q" * 80_000,
                       messages=[Message("user", "q" * 80_000), Message("assistant", "done")])
    for i in range(150):  # 150 trajectories of ~160 kB: ~24 MB
        run.write_result(replace(template, query_id=str(i)))
    tracemalloc.start()
    run.merge()
    _, merge_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    stats = build_sft_dataset([run.path], tmp_path / "sft", SftConfig(solved_only=False), toolllama=True, trl=True)
    _, sft_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stats["examples"] == 150 and len(json.loads((tmp_path / "sft" / "toolllama.json").read_text())) == 150
    assert merge_peak < 3_000_000 and sft_peak < 4_000_000, (merge_peak, sft_peak)


def test_manifest_lines_from_many_threads_stay_whole(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    run = RunDir(tmp_path / "run")
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: run.write_result(_traj(f"q{i}-" + "x" * (i % 50))), range(300)))
    lines = run.manifest.read_text().splitlines()
    assert len(lines) == 300 and all(json.loads(line)["schema_version"] == 1 for line in lines)
    assert run.finished(repair=True) == {f"q{i}-" + "x" * (i % 50): result_filename(f"q{i}-" + "x" * (i % 50))
                                         for i in range(300)}
