"""The judging stage of ``toolbench run``: pass, exact and win verdicts, one report.

Pass labels come from ToolEval's rules first (no Finish, empty answer, give-up →
Unsolved); where a query has an expected answer and no LLM judge is configured, the
objective check decides the rest (correct → Solved, otherwise Unsolved); with an LLM
judge, the judge decides. Win verdicts use those pass labels first, then the judge.
Each judge gets its own report under ``report/<judge>/`` and ``report/`` holds them all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolbench.app.run_config import RunConfig
from toolbench.types import Query, Report, Trajectory, Verdict

SOLVED, UNSOLVED, UNJUDGED = "Solved", "Unsolved", "Unjudged"


def objective_pass(pass_verdicts: Sequence[Verdict], exact_verdicts: Sequence[Verdict]) -> list[Verdict]:
    """Replace ``Unjudged`` pass labels by the exact check's outcome where there is one.

    >>> rule = Verdict("1", "Unsolved", "no Finish", "rules", by_rule=True)
    >>> open_ = Verdict("2", "Unjudged", "no judge model")
    >>> exact = [Verdict("1", "incorrect", judge="exact"), Verdict("2", "correct", judge="exact")]
    >>> [(v.query_id, v.label, v.judge) for v in objective_pass([rule, open_], exact)]
    [('1', 'Unsolved', 'rules'), ('2', 'Solved', 'exact')]
    """
    outcome = {v.query_id: v for v in exact_verdicts}
    merged = []
    for verdict in pass_verdicts:
        check = outcome.get(verdict.query_id)
        if verdict.label != UNJUDGED or check is None:
            merged.append(verdict)
            continue
        label = SOLVED if check.label == "correct" else UNSOLVED
        merged.append(Verdict(verdict.query_id, label, f"expected answer: {check.reason}", "exact",
                              check.raw, verdict.judging, by_rule=True))
    return merged


def trajectory_links(trajectories: Sequence[Trajectory], run_dir: Path, report_dir: Path) -> dict[str, str]:
    """Query id → relative link from ``report_dir`` to the query's result file."""
    from toolbench.store.runs import RunDir

    run = RunDir(run_dir)
    links = {}
    for t in trajectories:
        path = run.result_path(t.query_id)
        if path.is_file():
            links[t.query_id] = Path(os.path.relpath(path, report_dir)).as_posix()
    return links


class RunJudge:
    """Judges the runs of one ``toolbench run`` (see the module docstring)."""

    def __init__(self, config: RunConfig, queries: Sequence[Query]) -> None:
        from evaluator.api import make_asker

        self.config = config
        self.queries = list(queries)
        self.asker = make_asker(config.judges.model) if config.judges.model else None
        self.has_answers = any(q.expected_answer is not None for q in self.queries)

    def exact(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        from evaluator.api import judge_exact

        with_answers = [q for q in self.queries if q.expected_answer is not None]
        ids = {q.query_id for q in with_answers}
        return judge_exact([t for t in trajectories if t.query_id in ids], with_answers) if with_answers else []

    def pass_labels(self, trajectories: Sequence[Trajectory], exact: Sequence[Verdict]) -> list[Verdict]:
        from evaluator.pass_rate import PassConfig, judge_pass

        verdicts = judge_pass(trajectories, self.asker, PassConfig(judgings=self.config.judges.judgings))
        return objective_pass(verdicts, exact) if self.asker is None else verdicts

    def win(self, main: Sequence[Trajectory], reference: Sequence[Trajectory], main_pass: Sequence[Verdict],
            reference_pass: Sequence[Verdict]) -> list[Verdict]:
        from evaluator.win_rate import judge_win

        return judge_win(main, reference, self.asker, judgings=self.config.judges.judgings,
                         candidate_pass=main_pass, reference_pass=reference_pass)


def judge_runs(config: RunConfig, queries: Sequence[Query], main: list[Trajectory],
               reference: list[Trajectory] | None, dirs: dict[str, Path], report_dir: Path) -> Report:
    """Judge ``main`` (and ``reference``) and write the reports; returns the combined report."""
    from evaluator.combine import merge_reports
    from evaluator.report import RunResult, build_report, write_report

    judge = RunJudge(config, queries)
    groups = {q.query_id: q.group for q in queries if q.group}
    runs = {"main": main, **({"reference": reference} if reference is not None else {})}
    links = {name: trajectory_links(t, dirs[name], report_dir) for name, t in runs.items()}
    exact = {name: judge.exact(t) for name, t in runs.items()}
    passed = {name: judge.pass_labels(t, exact[name]) for name, t in runs.items()}
    sections: dict[str, list[RunResult]] = {}
    names = config.judges.names
    if "pass" in names:
        sections["pass"] = [RunResult(n, passed[n], runs[n], links[n]) for n in runs]
    if "exact" in names and judge.has_answers:
        sections["exact"] = [RunResult(n, exact[n], runs[n], links[n]) for n in runs]
    if "win" in names and reference is not None:
        verdicts = judge.win(main, reference, passed["main"], passed["reference"])
        sections["win"] = [RunResult("main vs reference", verdicts, main, links["main"])]
    if "fac" in names:
        from evaluator.api import judge_fac

        sections["fac"] = [RunResult(n, judge_fac(runs[n], judge.asker, judgings=config.judges.judgings),
                                     runs[n], links[n]) for n in runs]
    settings: dict[str, Any] = {"run": config.name, "judge_model": config.judges.model or None,
                                "judgings": config.judges.judgings, "plans": {k: str(v) for k, v in dirs.items()}}
    reports = []
    for kind, results in sections.items():
        report = build_report(kind, results, groups, settings)
        write_report(report_dir / kind, report, results)
        reports.append(_prefixed(report, kind))
    combined = merge_reports(reports)
    write_report(report_dir, combined)
    return combined


def _prefixed(report: Report, kind: str) -> Report:
    """The same report with run names ``kind:run`` so several judges merge without clashes."""
    rename = {run: f"{kind}: {run}" for run in report.metrics}
    return Report(
        name=report.name,
        metrics={rename[r]: m for r, m in report.metrics.items()},
        groups={rename.get(r, r): g for r, g in report.groups.items()},
        rows=[{**row, "run": rename.get(row.get("run"), row.get("run"))} for row in report.rows],
        config={**report.config, "runs": [rename.get(r, r) for r in report.config.get("runs", [])]},
    )
