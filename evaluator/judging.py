"""Judge the runs of one job in one call: pass, exact, win and fac verdicts and their reports.

:func:`judge_runs` takes the main run (and a reference run), the queries and
:class:`JudgeSettings`, and returns every verdict and report (``toolbench run`` calls it
once). Pass labels come from ToolEval's rules first (no Finish, empty answer, give-up →
Unsolved); where a query has an expected answer and no LLM judge is configured, the
objective check decides the rest (correct → Solved, otherwise Unsolved); with an LLM
judge, the judge decides. Win verdicts use those pass labels first, then the judge.
Each judge gets its own report under ``report_dir/<judge>/`` and ``report_dir`` holds them all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.api import judge_exact, judge_fac, make_asker
from evaluator.combine import merge_reports
from evaluator.pass_rate import PassConfig, judge_pass
from evaluator.report import RunResult, build_report, write_report
from evaluator.site import rebase_links
from evaluator.win_rate import judge_win
from toolbench.config import Config, require
from toolbench.store.runs import RunDir
from toolbench.types import Query, Report, Trajectory, Verdict, VerdictLabel

JUDGES = ("pass", "win", "exact", "fac")


@dataclass(frozen=True)
class JudgeSettings(Config):
    """Which judges run (``pass``, ``win``, ``exact``, ``fac``), the LLM judge and judgings per answer.

    The ``[judges]`` section of a ``toolbench run`` config.
    """

    names: tuple[str, ...] = ("pass", "exact")
    model: str = ""
    judgings: int = 1

    def validate(self) -> None:
        unknown = sorted(set(self.names) - set(JUDGES))
        require(not unknown, f"[judges] unknown judge(s) {unknown}; known: {', '.join(JUDGES)}")
        require(self.judgings >= 1, "[judges] judgings must be >= 1")
        require(not ("fac" in self.names and not self.model), "[judges] fac needs a judge model")


@dataclass
class Judgement:
    """What :func:`judge_runs` produced: verdicts by judge and run, each judge's report, all merged."""

    verdicts: dict[str, dict[str, list[Verdict]]]
    reports: dict[str, Report]
    report: Report


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
        if verdict.label != VerdictLabel.UNJUDGED or check is None:
            merged.append(verdict)
            continue
        label = VerdictLabel.SOLVED if check.label == VerdictLabel.CORRECT else VerdictLabel.UNSOLVED
        merged.append(Verdict(verdict.query_id, label, f"expected answer: {check.reason}", "exact",
                              check.raw, verdict.judging, by_rule=True))
    return merged


def trajectory_links(trajectories: Sequence[Trajectory], run_dir: Path, report_dir: Path) -> dict[str, str]:
    """Query id → relative link from ``report_dir`` to the query's result file."""
    run = RunDir(run_dir)
    links = {}
    for t in trajectories:
        path = run.result_path(t.query_id)
        if path.is_file():
            links[t.query_id] = Path(os.path.relpath(path, report_dir)).as_posix()
    return links


class RunJudge:
    """The judges of one job, sharing one LLM judge (see the module docstring)."""

    def __init__(self, settings: JudgeSettings, queries: Sequence[Query]) -> None:
        self.settings = settings
        self.queries = list(queries)
        self.asker = make_asker(settings.model) if settings.model else None
        self.has_answers = any(q.expected_answer is not None for q in self.queries)

    def exact(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        with_answers = [q for q in self.queries if q.expected_answer is not None]
        ids = {q.query_id for q in with_answers}
        return judge_exact([t for t in trajectories if t.query_id in ids], with_answers) if with_answers else []

    def pass_labels(self, trajectories: Sequence[Trajectory], exact: Sequence[Verdict]) -> list[Verdict]:
        verdicts = judge_pass(trajectories, self.asker, PassConfig(judgings=self.settings.judgings))
        return objective_pass(verdicts, exact) if self.asker is None else verdicts

    def win(self, main: Sequence[Trajectory], reference: Sequence[Trajectory], main_pass: Sequence[Verdict],
            reference_pass: Sequence[Verdict]) -> list[Verdict]:
        return judge_win(main, reference, self.asker, judgings=self.settings.judgings,
                         candidate_pass=main_pass, reference_pass=reference_pass)

    def fac(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return judge_fac(trajectories, self.asker, judgings=self.settings.judgings)


def judge_runs(main: list[Trajectory], reference: list[Trajectory] | None, queries: Sequence[Query],
               settings: JudgeSettings, report_dir: Path, *, run_dirs: dict[str, Path], name: str = "run") -> Judgement:
    """Judge ``main`` (and ``reference``) with the judges of ``settings`` and write the reports.

    ``run_dirs`` maps ``main`` (and ``reference``) to its run directory (for links from the
    report to each query's result file); ``name`` is the job's name, kept in the reports.
    """
    runs = {"main": main, **({"reference": reference} if reference is not None else {})}
    pairs = [("main", "reference")] if reference is not None else []
    return judge_all(runs, pairs, queries, settings, report_dir, run_dirs=run_dirs, name=name)


def pair_name(candidate: str, reference: str) -> str:
    """The run name of a win comparison.

    >>> pair_name("tuned: dfsdt", "base: dfsdt")
    'tuned: dfsdt vs base: dfsdt'
    """
    return f"{candidate} vs {reference}"


def judge_all(runs: dict[str, list[Trajectory]], pairs: Sequence[tuple[str, str]], queries: Sequence[Query],
              settings: JudgeSettings, report_dir: Path, *, run_dirs: dict[str, Path], name: str = "run") -> Judgement:
    """Judge every run of ``runs`` (label → trajectories) and each ``(candidate, reference)``
    pair for win rate, and write the reports (see :func:`judge_runs`)."""
    judge = RunJudge(settings, queries)
    groups = {q.query_id: q.group for q in queries if q.group}
    links = {label: trajectory_links(t, run_dirs[label], report_dir) for label, t in runs.items()}
    exact = {label: judge.exact(t) for label, t in runs.items()}
    passed = {label: judge.pass_labels(t, exact[label]) for label, t in runs.items()}
    sections: dict[str, list[RunResult]] = {}
    if "pass" in settings.names:
        sections["pass"] = [RunResult(n, passed[n], runs[n], links[n]) for n in runs]
    if "exact" in settings.names and judge.has_answers:
        sections["exact"] = [RunResult(n, exact[n], runs[n], links[n]) for n in runs]
    if "win" in settings.names and pairs:
        sections["win"] = [RunResult(pair_name(a, b), judge.win(runs[a], runs[b], passed[a], passed[b]), runs[a],
                                     links[a]) for a, b in pairs]
    if "fac" in settings.names:
        sections["fac"] = [RunResult(n, judge.fac(runs[n]), runs[n], links[n]) for n in runs]
    config: dict[str, Any] = {"run": name, "judge_model": settings.model or None, "judgings": settings.judgings,
                              "plans": {k: str(v) for k, v in run_dirs.items()}}
    reports = {}
    for kind, results in sections.items():
        reports[kind] = build_report(kind, results, groups, config)
        write_report(report_dir / kind, rebase_links(reports[kind], report_dir, report_dir / kind), results)
    combined = merge_reports([_prefixed(report, kind) for kind, report in reports.items()])
    write_report(report_dir, combined)
    verdicts = {kind: {r.name: r.verdicts for r in results} for kind, results in sections.items()}
    return Judgement(verdicts, reports, combined)


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
