"""Assemble reports and write ``report.json``, ``report.md`` and ``report.html``.

Same inputs give byte-identical files: keys are sorted, floats are rounded, the bootstrap
is seeded and the plots are rendered without timestamps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator import summaries
from toolbench.store import atomic_write_json, atomic_write_text, write_jsonl
from toolbench.types import Report, Trajectory, Verdict

KINDS = ("pass", "win", "fac", "exact", "ast", "retrieval")


@dataclass
class RunResult:
    """The verdicts of one run (and what they were about)."""

    name: str
    verdicts: list[Verdict]
    trajectories: list[Trajectory] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)  # extra headline numbers (e.g. judge cost)
    rows: list[dict[str, Any]] | None = None  # custom rows (retrieval); else built from verdicts
    groups: dict[str, dict[str, Any]] | None = None  # custom group table


def tidy(value: Any, digits: int = 6) -> Any:
    """Round floats (NaN → None) recursively so reports are stable and valid JSON.

    >>> tidy({"a": 1 / 3, "b": [float("nan"), 2]})
    {'a': 0.333333, 'b': [None, 2]}
    """
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {k: tidy(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy(v, digits) for v in value]
    return value


def build_report(kind: str, runs: Sequence[RunResult], groups: dict[str, str] | None = None,
                 config: dict[str, Any] | None = None, *, seed: int = 0, resamples: int = 1000) -> Report:
    """One report over ``runs`` for judge ``kind``."""
    groups = groups or {}
    metrics, group_tables, rows = {}, {}, []
    for run in runs:
        if kind == "win":
            m = summaries.win_metrics(run.verdicts, seed=seed, resamples=resamples)
        elif run.verdicts:
            m = summaries.label_metrics(run.verdicts, seed=seed, resamples=resamples)
        else:
            m = {}
        m.update(summaries.cost_metrics(run.trajectories))
        if (rate := summaries.tooleval_pass_rate(run.verdicts)) is not None:
            m["tooleval_pass_rate"] = rate
        m.update(run.metrics)
        metrics[run.name] = m
        group_tables[run.name] = run.groups if run.groups is not None else summaries.group_table(
            run.verdicts, groups, seed=seed, resamples=resamples)
        rows.extend(run.rows if run.rows is not None else summaries.verdict_rows(
            run.name, run.verdicts, groups, run.trajectories, run.links))
    cfg = {"kind": kind, "seed": seed, "bootstrap_resamples": resamples, "runs": [r.name for r in runs],
           **(config or {})}
    return Report(name=kind, metrics=tidy(metrics), groups=tidy(group_tables), rows=tidy(rows), config=tidy(cfg))


def write_report(out_dir: str | Path, report: Report, runs: Sequence[RunResult] = (), *,
                 pages: bool = True) -> dict[str, Path]:
    """Write report.json, report.md, report.html and ``verdicts/<run>.jsonl`` into ``out_dir``.

    With ``pages`` (the default), also a page per trajectory under ``view/`` (from the runs'
    trajectories, else from the files the rows link to) and ``index.html`` listing every
    query; the report's verdicts link to those pages.
    """
    from evaluator.html_report import render_html
    from evaluator.markdown import render_markdown
    from evaluator.site import INDEX, write_index, write_views

    out = Path(out_dir)
    views = write_views(out, report, runs) if pages else {}
    index = ""
    paths: dict[str, Path] = {}
    if pages and any("majority" in row for row in report.rows):
        paths["index"] = write_index(out, report, views)
        index = INDEX
    paths["json"] = atomic_write_json(out / "report.json", report.to_dict())
    paths["md"] = atomic_write_text(out / "report.md", render_markdown(report, views, index))
    paths["html"] = atomic_write_text(out / "report.html", render_html(report, views, index))
    for run in runs:
        if run.verdicts:
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in run.name)
            write_jsonl(out / "verdicts" / f"{safe}.jsonl", (v.to_dict() for v in run.verdicts))
    return paths


def headline(report: Report, run: str) -> str:
    """A one-line summary of one run's numbers (for the CLI).

    >>> r = Report("pass", metrics={"x": {"mean": 0.5, "std": 0.1, "n": 4, "ci_low": 0.2, "ci_high": 0.8}})
    >>> headline(r, "x")
    'x: 50.0 ± 10.0 (95% CI 20.0–80.0, n=4)'
    """
    m = report.metrics.get(run, {})
    if report.name == "retrieval":
        keys = [k for k in m if k.startswith("ndcg@")]
        return f"{run}: " + ", ".join(f"{k} {m[k]:.3f}" for k in keys) + f" (n={m.get('n', 0)})"
    value = m.get("win_rate") if report.name == "win" else m.get("mean")
    if value is None:
        return f"{run}: no scored queries"
    text = f"{run}: {100 * value:.1f} ± {100 * (m.get('std') or 0):.1f}"
    if m.get("ci_low") is not None:
        text += f" (95% CI {100 * m['ci_low']:.1f}–{100 * m['ci_high']:.1f}, n={m.get('n', 0)})"
    if report.name == "win":
        text += f" W/T/L {m.get('win', 0)}/{m.get('tie', 0)}/{m.get('loss', 0)}"
    return text
