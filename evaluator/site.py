"""The pages around a report: one trajectory page per query and an index of all queries.

::

    OUT/report.html, report.md     the report (its verdicts link to view/…)
    OUT/index.html                 every (run, query): filter by judge, group, verdict; sort by cost
    OUT/view/{qid}-{hash}.html     one trajectory (see :mod:`evaluator.viewer`)

Trajectories come from the runs given to :func:`write_views` or, for a report read back
from disk (a merged report), from the file each row links to: a result file of our run
directories, a ``trajectories.jsonl``, a ToolBench answer file or a StableToolEval
converted file. :func:`write_run_site` makes the same pages for a run without a report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator import formatting as fmt
from evaluator.layout import display_name, run_kinds, title_of
from toolbench.catalog.names import stable_hash
from toolbench.errors import InputError
from toolbench.store import atomic_write_text
from toolbench.types import Report, Trajectory, query_sort_key

logger = logging.getLogger(__name__)

VIEW_DIR = "view"
INDEX = "index.html"


@dataclass
class IndexRow:
    """One (run, query) line of the index page."""

    run: str
    query_id: str
    group: str
    verdict: str
    score: str
    llm_calls: int | None
    tokens: int | None
    api_calls: int | None
    finish: str
    href: str
    reason: str = ""


def page_name(query_id: str, identity: str) -> str:
    """The file name of a trajectory page: readable id plus a hash of where it came from.

    >>> page_name("G1/10", "runs/a/results/10.json")
    'G1_10-9b8abc9e.html'
    """
    return f"{fmt.safe_name(query_id, 40)}-{stable_hash(identity)}.html"


def _matching(trajectories: Sequence[Trajectory], query_id: str) -> Trajectory | None:
    tail = query_id.rsplit("/", 1)[-1]
    for t in trajectories:
        if t.query_id in (query_id, tail):
            return t
    return None


def load_linked(path: Path, query_id: str) -> Trajectory | None:
    """The trajectory of ``query_id`` in the file ``path`` (any run format), or None."""
    from toolbench.formats.stabletooleval import looks_converted, read_converted
    from toolbench.formats.toolbench_answer import ANSWER_FILE_RE, read_answer_file
    from toolbench.store import check_version, iter_jsonl, read_json

    try:
        if path.suffix == ".jsonl":
            return _matching([Trajectory.from_dict(r) for r in iter_jsonl(path)], query_id)
        if looks_converted(path):
            return _matching(read_converted(path), query_id)
        data = read_json(path)
        if isinstance(data, dict) and "answer_generation" in data and ANSWER_FILE_RE.match(path.name):
            return read_answer_file(path)
        if isinstance(data, dict) and "query_id" in data:
            return Trajectory.from_dict(check_version(data, path=path, line=1))
    except (OSError, InputError, ValueError, KeyError, TypeError) as exc:
        logger.warning("no trajectory page for %s (%s: %s)", query_id, path, exc)
    return None


class _Sources:
    """Finds the trajectory behind each report row (given runs first, then linked files)."""

    def __init__(self, out: Path, runs: Sequence[Any]) -> None:
        self.out = out
        self.given = {(r.name, t.query_id): t for r in runs for t in getattr(r, "trajectories", [])}
        self.owner: dict[int, str] = {}  # one page per trajectory, named after the first run holding it
        for r in runs:
            for t in getattr(r, "trajectories", []):
                self.owner.setdefault(id(t), r.name)
        self.loaded: dict[tuple[Path, str], Trajectory | None] = {}

    def find(self, row: dict[str, Any], kind: str) -> tuple[str, Trajectory] | None:
        run, qid = str(row.get("run")), str(row.get("query_id"))
        for name in (run, display_name(run, kind)):  # a merged report prefixes run names with the judge
            if (name, qid) in self.given:
                trajectory = self.given[(name, qid)]
                return f"run:{self.owner[id(trajectory)]}:{qid}", trajectory
        link = str(row.get("trajectory") or "")
        path = (self.out / link).resolve() if link else None
        if path is None or not path.is_file():
            return None
        if (path, qid) not in self.loaded:
            self.loaded[(path, qid)] = load_linked(path, qid)
        found = self.loaded[(path, qid)]
        return (f"file:{Path(os.path.relpath(path, self.out.resolve())).as_posix()}:{qid}", found) if found else None


def write_views(out_dir: str | Path, report: Report, runs: Sequence[Any] = ()) -> dict[tuple[str, str], str]:
    """Write a page per trajectory behind ``report``'s rows; (run, query id) → relative link."""
    from evaluator.viewer import render_trajectory

    out = Path(out_dir)
    sources = _Sources(out, runs)
    kinds = run_kinds(report)
    pages: dict[str, tuple[Trajectory, list[tuple[str, str, str]]]] = {}
    views: dict[tuple[str, str], str] = {}
    for row in report.rows:
        run = str(row.get("run"))
        found = sources.find(row, kinds.get(run, report.name))
        if found is None:
            continue
        identity, trajectory = found
        name = page_name(str(row.get("query_id")), identity)
        who = f"{fmt.judge_title(kinds.get(run, report.name))}: {display_name(run, kinds.get(run, report.name))}"
        pages.setdefault(name, (trajectory, []))[1].append((who, str(row.get("majority") or ""),
                                                            str(row.get("reason") or "")))
        views[(run, str(row.get("query_id")))] = f"{VIEW_DIR}/{name}"
    links = {"← report": "../report.html", "all queries": f"../{INDEX}"}
    for name, (trajectory, verdicts) in sorted(pages.items()):
        atomic_write_text(out / VIEW_DIR / name, render_trajectory(trajectory, links=links, verdicts=verdicts))
    return views


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not fmt.missing(value) else None


def report_index_rows(report: Report, views: dict[tuple[str, str], str]) -> list[IndexRow]:
    """The index lines of a report: every row with its judge, verdict, cost and page link."""
    kinds = run_kinds(report)
    rows = []
    for r in report.rows:
        run = str(r.get("run"))
        kind = kinds.get(run, report.name)
        score = r.get("score")
        rows.append(IndexRow(f"{fmt.judge_title(kind)}: {display_name(run, kind)}", str(r.get("query_id")),
                             str(r.get("group") or "all"), str(r.get("majority") or ""),
                             "" if fmt.missing(score) else f"{score:.2f}", _int(r.get("llm_calls")),
                             _int(r.get("tokens")), _int(r.get("api_calls")), str(r.get("finish_reason") or ""),
                             views.get((run, str(r.get("query_id"))), ""), str(r.get("reason") or "")[:300]))
    return rows


def render_index(title: str, rows: Sequence[IndexRow], report_href: str = "") -> str:
    """The index page (one small inline script: filters and sorting)."""
    from evaluator.html_report import render_page

    def options(attr: str) -> list[str]:
        return sorted({getattr(r, attr) for r in rows if getattr(r, attr)})

    ordered = sorted(rows, key=lambda r: (r.run, r.group, query_sort_key(r.query_id)))
    return render_page("index.html.j2", title=title, rows=ordered, runs=options("run"), groups=options("group"),
                       verdicts=options("verdict"), report_href=report_href)


def write_index(out_dir: str | Path, report: Report, views: dict[tuple[str, str], str]) -> Path:
    """``index.html`` for a report written in ``out_dir``."""
    rows = report_index_rows(report, views)
    return atomic_write_text(Path(out_dir) / INDEX, render_index(f"{title_of(report)}: queries", rows, "report.html"))


def run_index_rows(name: str, trajectories: Sequence[Trajectory], groups: dict[str, str],
                   views: dict[str, str]) -> list[IndexRow]:
    """Index lines of a run without verdicts: the finish reason stands in for the verdict."""
    return [IndexRow(name, t.query_id, groups.get(t.query_id) or "all", t.finish_reason.value, "",
                     t.usage.llm_calls, t.usage.total_tokens, t.usage.api_calls, t.finish_reason.value,
                     views.get(t.query_id, ""), t.error[:300]) for t in trajectories]


def write_run_site(run_path: str | Path, out_dir: str | Path, fmt_name: str = "auto") -> Path:
    """Trajectory pages and ``index.html`` for a run (any format) without a report."""
    from evaluator.inputs import load_run
    from evaluator.viewer import render_trajectory

    run = load_run(run_path, fmt_name)
    out = Path(out_dir)
    views = {}
    links = {"all queries": f"../{INDEX}"}
    for t in run.trajectories:
        source = run.files.get(t.query_id)
        where = Path(os.path.relpath(source.resolve(), out.resolve())).as_posix() if source else run.name
        name = page_name(t.query_id, f"file:{where}:{t.query_id}")
        atomic_write_text(out / VIEW_DIR / name, render_trajectory(t, links=links))
        views[t.query_id] = f"{VIEW_DIR}/{name}"
    rows = run_index_rows(run.name, run.trajectories, run.groups(), views)
    return atomic_write_text(out / INDEX, render_index(f"Run {run.name}: queries", rows))



def rebase_links(report: Report, source: Path, target: Path) -> Report:
    """The report with its relative trajectory links made relative to ``target`` instead of ``source``.

    >>> r = Report("pass", rows=[{"run": "x", "trajectory": "../runs/x/results/1.json"}, {"run": "x"}])
    >>> [row.get("trajectory") for row in rebase_links(r, Path("evals/p"), Path("evals/all/sub")).rows]
    ['../../runs/x/results/1.json', None]
    """
    if Path(source).resolve() == Path(target).resolve():
        return report
    rows = []
    for row in report.rows:
        link = row.get("trajectory")
        if link and not Path(link).is_absolute():
            moved = os.path.relpath(Path(source).resolve() / link, Path(target).resolve())
            row = {**row, "trajectory": Path(moved).as_posix()}
        rows.append(row)
    return Report(report.name, report.metrics, report.groups, rows, report.config)
