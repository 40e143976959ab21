"""What a report shows, independent of HTML or Markdown: one section per judge.

A :class:`Layout` is built from a :class:`~toolbench.types.Report` (one judge's, or the
merged report of several judges) and holds tables of ready-formatted :class:`Cell`s:

- per judge, a headline table (one row per run, or per pair for win rate; groups as
  columns; cost per query), a details table, and for two or more runs a side-by-side
  comparison: the paired difference of per-query scores with a seeded bootstrap 95% CI
  and whether that CI excludes 0;
- one query table: a row per query, a column per (judge, run) with the verdict linked to
  the query's trajectory page.

Works for any number of runs and win pairs. Pure and deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from evaluator import aggregate as agg
from evaluator import formatting as fmt
from toolbench.types import Report, query_sort_key

COST_KEYS = ("llm_calls_per_query", "tokens_per_query", "api_calls_per_query")
HEADLINE_SHOWN = frozenset({"mean", "ci_low", "ci_high", "std", "win_rate", "win", "tie", "loss", "n", "labels",
                            *COST_KEYS})
DETAIL_ORDER = ("judgings", "by_rule", "llm_decided", "errors", "unjudged", "majority_rate", "tooleval_pass_rate",
                "seconds_per_query", "judge_llm_calls", "judge_tokens")
VIEW = "view"


@dataclass
class Cell:
    """One table cell: its text, and optionally a link, a CSS class and a tooltip."""

    text: str
    href: str = ""
    cls: str = ""
    title: str = ""


@dataclass
class Table:
    """A header and rows of cells."""

    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Section:
    """The numbers of one judge: headline, details and comparisons."""

    kind: str
    title: str
    runs: list[str]
    labels: dict[str, str]
    headline: Table
    details: Table | None = None
    comparison: Table | None = None


@dataclass
class Layout:
    """Everything a report page shows."""

    title: str
    subtitle: str
    sections: list[Section]
    queries: Table
    config_json: str


def run_kinds(report: Report) -> dict[str, str]:
    """Which judge each run of ``report`` belongs to.

    A merged report records it in ``config["judges"]``; older merged reports are read from
    the ``kind: run`` prefix or the metric names.

    >>> run_kinds(Report("pass", metrics={"a": {}}))
    {'a': 'pass'}
    >>> run_kinds(Report("combined", metrics={"win: x vs y": {"win_rate": 0.5}, "exact: x": {"mean": 1.0}}))
    {'win: x vs y': 'win', 'exact: x': 'exact'}
    """
    recorded = report.config.get("judges") or {}
    out = {}
    for run, m in report.metrics.items():
        prefix = run.split(": ", 1)[0]
        if run in recorded:
            out[run] = recorded[run]
        elif report.name != "combined":
            out[run] = report.name
        elif prefix in fmt.JUDGE_TITLES and ": " in run:
            out[run] = prefix
        else:
            out[run] = "win" if "win_rate" in m else "retrieval" if any(k.startswith("ndcg@") for k in m) else "pass"
    return out


def display_name(run: str, kind: str) -> str:
    """A run's name without its judge prefix.

    >>> display_name("pass: tuned: dfsdt", "pass"), display_name("base", "pass")
    ('tuned: dfsdt', 'base')
    """
    return run.removeprefix(f"{kind}: ")


def split_pair(name: str) -> tuple[str, str] | None:
    """The two runs of a win pair named ``A vs B``.

    >>> split_pair("tuned: dfsdt vs base: dfsdt"), split_pair("main")
    (('tuned: dfsdt', 'base: dfsdt'), None)
    """
    left, sep, right = name.partition(" vs ")
    return (left, right) if sep and left and right else None


def pairs(runs: list[str], preferred: Collection[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Every pair of runs once, in run order; oriented as in ``preferred`` where given.

    >>> pairs(["a", "b", "c"], {("c", "a")})
    [('a', 'b'), ('c', 'a'), ('b', 'c')]
    """
    return [(b, a) if (b, a) in preferred else (a, b) for a, b in combinations(runs, 2)]


def paired_difference(a: dict[str, float], b: dict[str, float], *, seed: int = 0,
                      resamples: int = 1000) -> dict[str, Any]:
    """Mean of per-query score differences ``a − b`` over shared queries, with a bootstrap CI.

    >>> d = paired_difference({"1": 1.0, "2": 1.0, "3": 0.0}, {"1": 0.0, "2": 1.0, "4": 1.0}, resamples=200)
    >>> d["n"], round(d["diff"], 3), d["excludes_zero"]
    (2, 0.5, False)
    """
    shared = sorted(set(a) & set(b), key=query_sort_key)
    diffs = [a[q] - b[q] for q in shared]
    lo, hi = agg.bootstrap_ci(diffs, seed=seed, resamples=resamples)
    diff = agg.mean(diffs)
    excludes = bool(diffs) and (lo > 0 or hi < 0)
    return {"n": len(shared), "diff": diff, "ci_low": lo, "ci_high": hi, "excludes_zero": excludes}


def _scores(report: Report, run: str) -> dict[str, float]:
    return {str(r["query_id"]): float(r["score"]) for r in report.rows
            if r.get("run") == run and not fmt.missing(r.get("score"))}


def _group_names(report: Report, runs: list[str]) -> list[str]:
    names = sorted({g for r in runs for g in report.groups.get(r, {})})
    return [] if names == ["all"] else names


def _score_cell(s: dict[str, Any] | None, key: str = "mean") -> Cell:
    if not s:
        return Cell(fmt.DASH)
    title = f"n = {s['n']}" if s.get("n") is not None else ""
    if s.get("metric"):  # retrieval groups: a mean metric, not a rate
        value = s.get(key)
        text = fmt.DASH if fmt.missing(value) else f"{value:.3f}"
        return Cell(text, title=f"{s['metric']}, {title}")
    return Cell(fmt.pct_ci(s.get(key), s.get("ci_low"), s.get("ci_high")), title=title)


def _headline(report: Report, kind: str, runs: list[str], labels: dict[str, str]) -> Table:
    groups = _group_names(report, runs)
    if kind == "retrieval":
        keys = [k for k in report.metrics[runs[0]] if k != "n" and not isinstance(report.metrics[runs[0]][k], dict)]
        header = ["Run", *(fmt.column_name(k) for k in keys), *(fmt.group_name(g) for g in groups), "Queries"]
        rows = [[Cell(labels[r]), *(Cell(fmt.metric_value(k, report.metrics[r].get(k))) for k in keys),
                 *(_score_cell(report.groups.get(r, {}).get(g)) for g in groups),
                 Cell(fmt.amount(report.metrics[r].get("n")))] for r in runs]
        return Table(header, rows)
    costs = [k for k in COST_KEYS if any(k in report.metrics[r] for r in runs)]
    spread = any((report.metrics[r].get("judgings") or 0) > 1 for r in runs)
    first = ["Pair", "Win rate (ties ½)", "W / T / L", "CI excludes 50 %"] if kind == "win" else ["Run", "Score"]
    header = [*first, *(["Std over judgings"] if spread else []), *(fmt.group_name(g) for g in groups), "Queries",
              *(fmt.column_name(k) for k in costs)]
    rows = []
    for run in runs:
        m = report.metrics[run]
        if kind == "win":
            lo, hi = m.get("ci_low"), m.get("ci_high")
            excludes = not fmt.missing(lo) and not fmt.missing(hi) and (lo > 0.5 or hi < 0.5)
            cells = [Cell(labels[run]), Cell(fmt.pct_ci(m.get("win_rate"), lo, hi)),
                     Cell(f"{m.get('win', 0)} / {m.get('tie', 0)} / {m.get('loss', 0)}"),
                     Cell("yes" if excludes else "no", cls="yes" if excludes else "")]
        else:
            cells = [Cell(labels[run]), Cell(fmt.pct_ci(m.get("mean"), m.get("ci_low"), m.get("ci_high")))]
        if spread:
            cells.append(Cell(fmt.pct(m.get("std"))))
        cells += [_score_cell(report.groups.get(run, {}).get(g)) for g in groups]
        cells.append(Cell(fmt.amount(m.get("n"))))
        cells += [Cell(fmt.amount(m.get(k))) for k in costs]
        rows.append(cells)
    return Table(header, rows)


def _details(report: Report, runs: list[str], labels: dict[str, str]) -> Table | None:
    present = {k for r in runs for k, v in report.metrics[r].items() if not isinstance(v, dict)}
    keys = [k for k in DETAIL_ORDER if k in present] + sorted(present - HEADLINE_SHOWN - set(DETAIL_ORDER))
    keys = [k for k in keys if not k.startswith(("ndcg@", "recall@", "precision@", "completeness@", "mrr", "map"))]
    if not keys:
        return None
    rows = [[Cell(labels[r]), *(Cell(fmt.metric_value(k, report.metrics[r].get(k))) for k in keys)] for r in runs]
    return Table(["Run", *(fmt.column_name(k) for k in keys)], rows)


def _comparison(report: Report, runs: list[str], labels: dict[str, str],
                preferred: set[tuple[str, str]]) -> Table | None:
    if len(runs) < 2:
        return None
    seed = int(report.config.get("seed", 0) or 0)
    resamples = int(report.config.get("bootstrap_resamples", 1000) or 1000)
    by_label = {labels[r]: r for r in runs}
    oriented = {(by_label[a], by_label[b]) for a, b in preferred if a in by_label and b in by_label}
    header = ["Comparison", "Score A", "Score B", "Difference A − B [95% CI]", "CI excludes 0", "Paired queries"]
    rows = []
    for a, b in pairs(runs, oriented):
        d = paired_difference(_scores(report, a), _scores(report, b), seed=seed, resamples=resamples)
        ma, mb = report.metrics[a], report.metrics[b]
        rows.append([Cell(f"{labels[a]} vs {labels[b]}"), Cell(fmt.pct(ma.get("mean"))), Cell(fmt.pct(mb.get("mean"))),
                     Cell(fmt.signed_pp(d["diff"], d["ci_low"], d["ci_high"])),
                     Cell("yes" if d["excludes_zero"] else "no", cls="yes" if d["excludes_zero"] else ""),
                     Cell(fmt.amount(d["n"]))])
    return Table(header, rows)


def sections(report: Report) -> list[Section]:
    """One section per judge, in the order the judges first appear."""
    kinds = run_kinds(report)
    order = list(dict.fromkeys(kinds.values()))
    win_pairs = {p for r, k in kinds.items() if k == "win" and (p := split_pair(display_name(r, k)))}
    out = []
    for kind in order:
        runs = [r for r, k in kinds.items() if k == kind]
        labels = {r: display_name(r, kind) for r in runs}
        comparison = None if kind in ("win", "retrieval") else _comparison(report, runs, labels, win_pairs)
        details = None if kind == "retrieval" else _details(report, runs, labels)
        out.append(Section(kind, fmt.judge_title(kind), runs, labels, _headline(report, kind, runs, labels),
                           details, comparison))
    return out


def query_table(report: Report, parts: list[Section], views: dict[tuple[str, str], str]) -> Table:
    """A row per query; a column per (judge, run) with the verdict linked to its page."""
    columns = [(s, r) for s in parts if s.kind != "retrieval" for r in s.runs]
    cells: dict[tuple[str, str], Cell] = {}
    groups: dict[str, str] = {}
    for row in report.rows:
        run, qid = row.get("run"), str(row.get("query_id"))
        label = row.get("majority") or row.get("finish_reason") or ""
        href = views.get((run, qid)) or ""
        cells[(run, qid)] = Cell(str(label) or fmt.DASH, href=href, cls=str(label), title=str(row.get("reason") or ""))
        groups.setdefault(qid, str(row.get("group") or ""))
    ids = sorted(groups, key=lambda q: (groups[q], query_sort_key(q)))
    header = ["Query", "Group", *(f"{s.title}: {s.labels[r]}" if len(parts) > 1 else s.labels[r] for s, r in columns)]
    rows = [[Cell(q), Cell(fmt.group_name(groups[q])), *(cells.get((r, q), Cell("")) for _, r in columns)]
            for q in ids]
    return Table(header, rows)


def title_of(report: Report) -> str:
    """The page title: the job's name where the report records one.

    >>> title_of(Report("pass", config={"run": "demo"})), title_of(Report("combined"))
    ('Evaluation report: demo', 'Evaluation report')
    """
    names = [report.config.get("run")] + [s.get("run") for s in report.config.get("sources", [])]
    name = next((n for n in names if n), "")
    return f"Evaluation report: {name}" if name else "Evaluation report"


def build_layout(report: Report, views: dict[tuple[str, str], str] | None = None) -> Layout:
    """The whole page content of ``report``; ``views`` maps (run, query id) to a page link."""
    parts = sections(report)
    judges = ", ".join(s.title.lower() for s in parts)
    runs = list(dict.fromkeys(label for s in parts if s.kind != "win" for label in s.labels.values()))
    subtitle = f"{len(runs)} run(s): {', '.join(runs)}" if runs else ""
    subtitle += f" · judges: {judges}" if judges else ""
    seed = report.config.get("seed", (report.config.get("sources") or [{}])[0].get("seed", 0))
    subtitle += f" · 95% CIs: bootstrap over queries, seed {seed}"
    config = json.dumps(report.config, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return Layout(title_of(report), subtitle, parts, query_table(report, parts, views or {}), config)
