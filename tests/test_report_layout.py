"""Report layout: per-judge headline tables, N runs and N win pairs, comparisons, determinism."""

from __future__ import annotations

import re

from evaluator.combine import merge_reports
from evaluator.layout import build_layout, paired_difference, run_kinds
from evaluator.report import RunResult, build_report, write_report
from toolbench.types import Report, Trajectory, Usage, Verdict

RUNS = ("base: dfsdt", "tuned: dfsdt", "tuned: cot")
SOLVED = {"base: dfsdt": 8, "tuned: dfsdt": 22, "tuned: cot": 12}  # of 24 queries


def _prefixed(report: Report, kind: str) -> Report:
    rename = {run: f"{kind}: {run}" for run in report.metrics}
    return Report(report.name, {rename[r]: m for r, m in report.metrics.items()},
                  {rename[r]: g for r, g in report.groups.items()},
                  [{**row, "run": rename[row["run"]]} for row in report.rows],
                  {**report.config, "runs": list(rename.values())})


def _results() -> tuple[list[RunResult], list[RunResult], dict[str, str]]:
    groups = {str(q): f"G{1 + q % 3}_instruction" for q in range(24)}
    passing = []
    for k, run in enumerate(RUNS):
        trajectories = [Trajectory(str(q), f"question {q}", run.split(": ")[1],
                                   usage=Usage(llm_calls=3 + k + q % 2, prompt_tokens=1000 + 37 * q + k, api_calls=2))
                        for q in range(24)]
        verdicts = [Verdict(str(q), "Solved" if q < SOLVED[run] else "Unsolved", "why", by_rule=True)
                    for q in range(24)]
        passing.append(RunResult(run, verdicts, trajectories))
    wins = [RunResult("tuned: dfsdt vs base: dfsdt", [Verdict(str(q), "win" if q < 16 else "tie") for q in range(24)],
                      passing[1].trajectories),
            RunResult("tuned: dfsdt vs tuned: cot", [Verdict(str(q), ["win", "tie", "loss"][q % 3]) for q in range(24)],
                      passing[1].trajectories)]
    return passing, wins, groups


def _merged() -> tuple[Report, list[RunResult], list[RunResult]]:
    passing, wins, groups = _results()
    reports = [_prefixed(build_report("pass", passing, groups, {"run": "study"}, resamples=200), "pass"),
               _prefixed(build_report("win", wins, groups, {"run": "study"}, resamples=200), "win")]
    return merge_reports(reports), passing, wins


def test_sections_for_three_runs_and_two_pairs():
    report, _, _ = _merged()
    assert set(run_kinds(report).values()) == {"pass", "win"}
    layout = build_layout(report)
    assert layout.title == "Evaluation report: study"
    pass_section, win_section = layout.sections
    headline = pass_section.headline
    assert headline.header[:2] == ["Run", "Score"] and "G2 instruction" in headline.header
    assert "LLM calls / query" in headline.header and "Tokens / query" in headline.header
    assert [row[0].text for row in headline.rows] == list(RUNS)  # one row per run, judge prefix gone
    assert re.fullmatch(r"91\.7 % \[\d+\.\d, \d+\.\d\]", headline.rows[1][1].text)
    tokens = headline.rows[0][headline.header.index("Tokens / query")].text
    assert tokens == "1,426"  # rounded, thousands separated
    comparisons = {row[0].text: row for row in pass_section.comparison.rows}
    # oriented like the win pairs where there is one; every pair of runs once
    assert sorted(comparisons) == ["base: dfsdt vs tuned: cot", "tuned: dfsdt vs base: dfsdt",
                                   "tuned: dfsdt vs tuned: cot"]
    better = comparisons["tuned: dfsdt vs base: dfsdt"]
    assert better[3].text.startswith("+58.3 pp [") and better[4].text == "yes"
    assert [row[0].text for row in win_section.headline.rows] == ["tuned: dfsdt vs base: dfsdt",
                                                                  "tuned: dfsdt vs tuned: cot"]
    assert win_section.headline.rows[0][2].text == "16 / 8 / 0" and win_section.comparison is None
    assert layout.queries.header[:2] == ["Query", "Group"] and len(layout.queries.header) == 2 + 3 + 2
    assert len(layout.queries.rows) == 24


def test_paired_difference_is_seeded_and_paired():
    a = {str(q): float(q % 2) for q in range(30)}
    b = {str(q): 0.0 for q in range(30)}
    first = paired_difference(a, b, seed=3, resamples=300)
    assert first == paired_difference(a, b, seed=3, resamples=300)
    assert first["n"] == 30 and first["diff"] == 0.5 and first["excludes_zero"]
    assert not paired_difference(a, a, resamples=100)["excludes_zero"]


def test_written_report_reads_well_and_is_byte_identical(tmp_path):
    report, passing, wins = _merged()
    outputs = []
    for name in ("a", "b"):
        write_report(tmp_path / name / "pass", build_report("pass", passing, {}, resamples=200), passing)
        write_report(tmp_path / name, report, [*passing, *wins])
        outputs.append({p.relative_to(tmp_path / name): p.read_bytes() for p in sorted((tmp_path / name).rglob("*"))
                        if p.is_file()})
    assert outputs[0] == outputs[1]
    html = (tmp_path / "a" / "report.html").read_text()
    for raw in ("ci_low", "majority_rate", "by_rule", "unjudged", "combined report"):
        assert raw not in html.split("<details><summary>Configuration")[0]
    assert "<script" not in html and 'href="index.html"' in html
    assert html.count('<section id="judge-') == 2 and "Who wins each pair?" in html
    assert not re.search(r"<td>\d+\.\d{4,}</td>", html)  # no unrounded floats in tables
    md = (tmp_path / "a" / "report.md").read_text()
    assert "| tuned: dfsdt vs base: dfsdt | 91.7 % | 33.3 % | +58.3 pp [" in md and "## Win rate" in md
    index = (tmp_path / "a" / "index.html").read_text()
    assert index.count("<script>") == 1 and index.count('data-run="Pass rate: tuned: cot"') == 24
    pages = list((tmp_path / "a" / "view").glob("*.html"))
    assert len(pages) == 3 * 24  # one per (run, query); the win rows reuse the candidate's pages


def test_single_run_report_has_no_comparison(tmp_path):
    passing, _, groups = _results()
    layout = build_layout(build_report("pass", passing[:1], groups, resamples=100))
    assert layout.sections[0].comparison is None
    assert layout.title == "Evaluation report"
