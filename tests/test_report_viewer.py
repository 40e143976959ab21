"""Trajectory pages (search tree, backtracking, reported path), index pages and ``toolbench view``."""

from __future__ import annotations

import json
import re

import pytest
from report_fixtures import make_run, queries

from evaluator.judging import JudgeSettings, judge_runs
from evaluator.viewer import chosen_path, render_trajectory, trajectory_view
from toolbench.app.cli import main
from toolbench.formats.stabletooleval import read_converted
from toolbench.formats.toolbench_answer import read_answer_file
from toolbench.store.run_io import read_run
from toolbench.types import FinishReason, Observation, Step, ToolCall, Trajectory

ANSWERS = "toolbench/data_example/answer"
CONVERTED = "stabletoolbench/data_example/model_predictions_converted/virtual_chatgpt_cot/G1_instruction.json"


def test_toolbench_tree_shows_visit_order_backtracking_and_the_answer_path(shared_data):
    t = read_answer_file(shared_data / ANSWERS / "G1_answer" / "57_ChatGPT_DFS_woFilter_w2.json")
    view = trajectory_view(t)
    assert [n.visit for n in view.nodes] == list(range(1, 13)) and not view.chain
    backs = [(n.back_from, n.parent_visit) for n in view.nodes if n.back_from is not None]
    assert backs == [(5, 3), (8, 6), (9, 2)]  # give-up at #5 abandons #4; dead ends at #8 and #9
    chosen = [n.visit for n in view.nodes if n.chosen]
    assert chosen == [1, 2, 10, 11, 12]
    assert "Finish: answer" in view.nodes[-1].badges and "Finish: give up and restart" in view.nodes[4].badges
    html = render_trajectory(t)
    assert "↩ backtrack from #5 to #3" in html and html.count('class="node chosen') == 5
    assert "status 11 error field" in html and "<script" not in html and "http-equiv" not in html
    assert re.search(r"<summary>show all \d+ characters</summary>", html)  # long observations fold away


def test_every_recorded_toolbench_tree_renders(shared_data):
    for path in sorted((shared_data / ANSWERS).rglob("*.json")):
        t = read_answer_file(path)
        view = trajectory_view(t)
        assert len(view.nodes) == len(t.tree.nodes) - 1
        if t.finish_reason == FinishReason.GIVE_ANSWER:
            assert chosen_path(t), path.name


def test_our_dfsdt_run_backtracks_and_cot_is_a_chain(tmp_path):
    dfs = read_run(make_run(tmp_path / "dfs", "dfsdt", max_actions=4))
    cot = read_run(make_run(tmp_path / "cot", "cot", max_actions=4, n_chains=2))
    hard = next(t for t in dfs if t.query_id == "1")
    view = trajectory_view(hard)
    assert [(n.visit, n.back_from, n.chosen) for n in view.nodes] == [(1, None, False), (2, None, False),
                                                                       (3, 2, True), (4, None, True)]
    assert "↩ backtrack from #2 to the query" in render_trajectory(hard)
    chain = trajectory_view(next(t for t in cot if t.query_id == "1"))
    assert chain.chain and [n.new_chain for n in chain.nodes] == [False, False, True, False]
    html = render_trajectory(next(t for t in cot if t.query_id == "1"))
    assert "new chain from the query" in html and "backtrack from" not in html and "<h2>Chains</h2>" in html


def test_pages_for_a_converted_answer_without_a_tree_and_retrieved_apis(shared_data):
    t = read_converted(shared_data / CONVERTED)[0]
    assert t.tree is None
    view = trajectory_view(t)
    assert view.chain and all(n.chosen for n in view.nodes) and len(view.nodes) == len(t.steps)
    ours = Trajectory("7", "q", "dfsdt", steps=[Step("", ToolCall("1", "f", {"x": 1}), Observation("1", "y" * 900))],
                      config={"retrieved": [["Cat::Tool::f", 0.8312], ["Cat::Tool::g", 0.5]]})
    html = render_trajectory(ours)
    assert "<td>Cat::Tool::f</td><td>0.831</td>" in html and "show all 900 characters" in html


def test_pipeline_report_links_queries_to_pages(tmp_path):
    d = make_run(tmp_path / "dfs", "dfsdt", max_actions=4)
    c = make_run(tmp_path / "cot", "cot", max_actions=4)
    out = tmp_path / "report"
    judge_runs(read_run(d), read_run(c), queries(), JudgeSettings(names=("pass", "exact", "win")), out,
               run_dirs={"main": d, "reference": c}, name="fixture")
    html = (out / "report.html").read_text()
    links = set(re.findall(r'href="(view/[^"]+)"', html))
    assert len(links) == 12 and all((out / link).is_file() for link in links)  # 6 queries x 2 runs
    page = (out / sorted(links)[0]).read_text()
    assert 'href="../report.html"' in page and ("Pass rate: main" in page or "Pass rate: reference" in page)
    index = (out / "index.html").read_text()
    assert index.count("<tr data-run=") == 6 * 5  # pass x2, exact x2, win x1
    for report_dir in (out, out / "pass", out / "win"):  # raw result links resolve from every report
        rows = json.loads((report_dir / "report.json").read_text())["rows"]
        assert rows and all((report_dir / row["trajectory"]).is_file() for row in rows)


def test_view_cli_on_toolbench_answers_a_run_and_a_report(shared_data, tmp_path, capsys):
    out = tmp_path / "answers"
    assert main(["view", str(shared_data / ANSWERS), "-o", str(out)]) == 0
    assert f"queries: {out / 'index.html'}" in capsys.readouterr().out
    index = (out / "index.html").read_text()
    assert index.count("<tr data-run=") == 15 and 'data-group="G3"' in index
    pages = sorted((out / "view").glob("G1_57-*.html"))
    assert len(pages) == 1 and "↩ backtrack from #5 to #3" in pages[0].read_text()

    run = make_run(tmp_path / "dfs", "dfsdt", max_actions=4)
    assert main(["eval", "pass", str(run), "-o", str(tmp_path / "p")]) == 0
    assert main(["report", str(tmp_path / "p"), "-o", str(tmp_path / "all" / "combined")]) == 0
    combined = (tmp_path / "all" / "combined" / "report.html").read_text()
    assert len(set(re.findall(r'href="(view/[^"]+)"', combined))) == 6  # links rebased to the new folder
    assert main(["view", str(tmp_path / "p")]) == 0
    assert "report: " in capsys.readouterr().out
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert report["rows"][0]["trajectory"].startswith("../dfs/results/")


@pytest.mark.parametrize("bad", ["nope"])
def test_view_cli_on_a_missing_path_is_a_usage_error(tmp_path, bad):
    assert main(["view", str(tmp_path / bad)]) == 2
