"""Reports and the eval CLI end to end: same inputs give byte-identical reports."""

from __future__ import annotations

import base64
import json
import re

import pytest

from evaluator.report import RunResult, build_report, write_report
from toolbench.app.cli import main
from toolbench.store.runs import RunDir
from toolbench.types import FinishReason, Query, Trajectory, Usage, Verdict

EXAMPLE = "stabletoolbench/data_example"


def _judge_script(tmp_path, statuses):
    path = tmp_path / "judge.jsonl"
    lines = [{"content": None, "tool_calls": [{"id": "j", "name": "check_answer_status",
                                               "arguments": {"answer_status": s, "reason": f"it is {s}"}}]}
             for s in statuses]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def _files(out):
    return {name: (out / name).read_bytes() for name in ("report.json", "report.md", "report.html")}


def test_eval_pass_cli_on_converted_answers_is_reproducible(shared_data, tmp_path, capsys):
    converted = shared_data / EXAMPLE / "model_predictions_converted/virtual_chatgpt_cot/G1_instruction.json"
    outs = []
    for i in range(2):
        script = _judge_script(tmp_path, ["Solved", "Unsolved"] * 3)
        out = tmp_path / f"out{i}"
        args = ["eval", "pass", str(converted), "--judge-model", f"scripted:{script}", "--judgings", "3",
                "--no-cache", "-o", str(out)]
        assert main(args) == 0
        outs.append(out)
    assert _files(outs[0]) == _files(outs[1])
    report = json.loads((outs[0] / "report.json").read_text())
    metrics = report["metrics"]["virtual_chatgpt_cot/G1_instruction"]
    # 3 queries x 3 judgings; 588 by rule; the judge alternates Solved/Unsolved over 1073, 608
    assert metrics["by_rule"] == 3 and metrics["judgings"] == 3 and metrics["n"] == 3
    rows = {r["query_id"]: r for r in report["rows"]}
    assert rows["588"]["labels"] == ["Unsolved"] * 3 and rows["588"]["by_rule"]
    assert rows["1073"]["labels"] == ["Solved"] * 3 and rows["608"]["labels"] == ["Unsolved"] * 3
    assert metrics["mean"] == pytest.approx(1 / 3) and metrics["std"] == 0
    assert "virtual_chatgpt_cot/G1_instruction: 33.3 ± 0.0" in capsys.readouterr().out
    verdicts = (outs[0] / "verdicts" / "virtual_chatgpt_cot_G1_instruction.jsonl").read_text().splitlines()
    assert len(verdicts) == 9


def test_html_is_self_contained_with_plots_and_links(tmp_path):
    trajectories = [Trajectory(str(i), "q", "CoT@1", usage=Usage(llm_calls=2, prompt_tokens=50)) for i in range(6)]
    verdicts = [Verdict(str(i), ["Solved", "Unsolved", "Unsure"][i % 3]) for i in range(6)]
    groups = {str(i): f"G{1 + i % 2}_instruction" for i in range(6)}
    run = RunResult("cot", verdicts, trajectories, {str(i): f"../runs/cot/results/{i}.json" for i in range(6)})
    win = RunResult("cot vs dfs", [Verdict(str(i), ["win", "tie", "loss"][i % 3]) for i in range(6)])
    for kind, runs in (("pass", [run]), ("win", [win])):
        write_report(tmp_path / kind, build_report(kind, runs, groups), runs)
        html = (tmp_path / kind / "report.html").read_text()
        assert "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
        images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
        assert images and all(base64.b64decode(i).startswith(b"<?xml") for i in images)
    pass_html = (tmp_path / "pass" / "report.html").read_text()
    page = re.search(r'href="(view/3-[0-9a-f]{8}\.html)"', pass_html).group(1)  # verdicts open the viewer
    assert (tmp_path / "pass" / page).is_file() and "What does each run&#39;s score cost?" in pass_html
    assert "Who wins each pair?" in (tmp_path / "win" / "report.html").read_text()
    md = (tmp_path / "pass" / "report.md").read_text()
    assert "| cot | 50.0 % [" in md and f"[Unsolved]({page.replace('3-', '4-')[:7]}" in md


def _run_dir(path, answers):
    run = RunDir(path)
    for qid, answer in answers.items():
        finish = FinishReason.GIVE_ANSWER if answer else FinishReason.NO_FINISH
        run.write_result(Trajectory(qid, f"question {qid}", "CoT@1", finish_reason=finish, final_answer=answer or "",
                                    usage=Usage(llm_calls=3, prompt_tokens=100), config={"group": "G1_tool"}))
    return path


def test_eval_win_cli(tmp_path):
    cand = _run_dir(tmp_path / "cand", {"1": "Paris", "2": None, "3": "Rome"})
    ref = _run_dir(tmp_path / "ref", {"1": None, "2": "Berlin", "3": "Rome"})
    out = tmp_path / "win"
    assert main(["eval", "win", str(cand), "--against", str(ref), "--no-cache", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    metrics = report["metrics"]["cand vs ref"]
    # without a judge: 1 wins by rule (ref has no Finish), 2 loses, 3 identical → tie
    assert (metrics["win"], metrics["tie"], metrics["loss"]) == (1, 1, 1) and metrics["win_rate"] == 0.5
    links = {r["query_id"]: r["trajectory"] for r in report["rows"]}
    assert links["1"] == "../cand/results/1.json"


def test_eval_exact_cli(tmp_path):
    run = _run_dir(tmp_path / "run", {"1": "The answer is 42.", "2": "It is 3.1", "3": None, "4": "Lyon"})
    queries = tmp_path / "queries.jsonl"
    rows = [Query("1", "q", expected_answer=42, group="math"), Query("2", "q", expected_answer=3.14159, group="math"),
            Query("3", "q", expected_answer=1), Query("4", "q", expected_answer="Paris", group="geo")]
    queries.write_text("".join(json.dumps({"schema_version": 1, **q.to_dict()}) + "\n" for q in rows))
    out = tmp_path / "exact"
    assert main(["eval", "exact", str(run), "--queries", str(queries), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    labels = {r["query_id"]: r["majority"] for r in report["rows"]}
    assert labels == {"1": "correct", "2": "correct", "3": "incorrect", "4": "incorrect"}
    assert report["groups"]["run"]["math"]["mean"] == 1.0


def test_eval_exact_without_expected_answers_is_a_clear_error(tmp_path, capsys):
    run = _run_dir(tmp_path / "run", {"1": "x"})
    assert main(["eval", "exact", str(run)]) == 2
    assert "no expected answers" in capsys.readouterr().err


def test_report_cli_combines_eval_reports_and_runs(tmp_path):
    run = _run_dir(tmp_path / "run", {"1": "x", "2": None})
    assert main(["eval", "pass", str(run), "-o", str(tmp_path / "p")]) == 0
    out = tmp_path / "combined"
    assert main(["report", str(tmp_path / "p"), str(run), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert list(report["metrics"]) == ["run", "run#2"]
    assert report["metrics"]["run#2"]["by_rule"] == 1 and report["metrics"]["run#2"]["unjudged"] == 1


def test_eval_retrieval_cli(tmp_path):
    results = tmp_path / "bm25.jsonl"
    records = [{"query_id": "1", "retrieved": [["a", 2.0], ["b", 1.0]], "relevant_api_ids": ["a"], "group": "G1"},
               {"query_id": "2", "retrieved": ["x", "c"], "relevant_api_ids": ["c", "d"], "group": "G1"}]
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "ret"
    assert main(["eval", "retrieval", str(results), "--k", "1", "--k", "2", "-o", str(out)]) == 0
    metrics = json.loads((out / "report.json").read_text())["metrics"]["bm25"]
    assert metrics["ndcg@1"] == 0.5 and metrics["recall@2"] == 0.75 and metrics["completeness@2"] == 0.5


def test_evaluate_run_for_the_pipeline(tmp_path):
    from evaluator.api import evaluate_run

    trajectories = [Trajectory("1", "q", "CoT@1", finish_reason=FinishReason.GIVE_ANSWER, final_answer="42"),
                    Trajectory("2", "q", "CoT@1")]
    queries = [Query("1", "q", expected_answer=42, group="G1"), Query("2", "q", expected_answer=7, group="G1")]
    reports = evaluate_run(tmp_path, trajectories, name="cot", queries=queries)
    assert sorted(reports) == ["exact", "pass"]
    assert reports["exact"].metrics["cot"]["mean"] == 0.5
    assert reports["pass"].metrics["cot"]["by_rule"] == 1 and reports["pass"].metrics["cot"]["unjudged"] == 1
    assert (tmp_path / "pass" / "report.html").is_file() and (tmp_path / "exact" / "report.md").is_file()
