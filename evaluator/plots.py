"""The report's plots, each answering one question, as base64 SVG.

- :func:`group_plot` — how does each run score in each group? (bars with 95% CIs)
- :func:`wtl_plot` — who wins each pair? (win / tie / loss shares, counts written in)
- :func:`cost_plot` — what does each run's score cost? (score against tokens per query)

Runs keep one colour across plots (their order in the report). matplotlib is imported
lazily and rendered with a fixed hash salt and no date, so the same report gives the same
bytes.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from evaluator import formatting as fmt
from evaluator.layout import Section
from toolbench.types import Report

_RC = {"svg.hashsalt": "toolbench-kit", "svg.fonttype": "none", "font.size": 9, "figure.dpi": 100,
       "axes.spines.top": False, "axes.spines.right": False}
COLORS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#222255")
WTL_COLORS = {"win": "#4caf50", "tie": "#ffc107", "loss": "#e53935"}


def color(index: int) -> str:
    """The colour of the ``index``-th run (colour-blind-safe palette, cycling).

    >>> color(0), color(8)
    ('#4477aa', '#4477aa')
    """
    return COLORS[index % len(COLORS)]


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _errors(stats: list[dict[str, Any]]) -> list[list[float]]:
    """Error-bar lengths below and above each mean (0 where there is no CI)."""
    lo = [max(0.0, s["mean"] - s["ci_low"]) if not fmt.missing(s.get("ci_low")) else 0.0 for s in stats]
    hi = [max(0.0, s["ci_high"] - s["mean"]) if not fmt.missing(s.get("ci_high")) else 0.0 for s in stats]
    return [[100 * v for v in lo], [100 * v for v in hi]]


def group_plot(report: Report, section: Section) -> str | None:
    """Per group (and over all queries): each run's score with its 95% CI."""
    if section.kind in ("win", "retrieval"):
        return None
    if all(fmt.missing(report.metrics[r].get("mean")) for r in section.runs):
        return None
    groups = sorted({g for r in section.runs for g in report.groups.get(r, {})} - {"all"})
    columns = ["all queries", *groups]
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(max(4.5, 1.1 * len(columns) * max(1, len(section.runs)) ** 0.5 + 2.5), 3.0)
        width = 0.8 / len(section.runs)
        for i, run in enumerate(section.runs):
            m = report.metrics[run]
            stats = [m if c == "all queries" else report.groups.get(run, {}).get(c) or {} for c in columns]
            shown = [(j, s) for j, s in enumerate(stats) if not fmt.missing(s.get("mean"))]
            if not shown:
                continue
            xs = [j - 0.4 + width * (i + 0.5) for j, _ in shown]
            ax.bar(xs, [100 * s["mean"] for _, s in shown], width=width * 0.92, color=color(i),
                   yerr=_errors([s for _, s in shown]), capsize=2, label=section.labels[run])
        ax.set_xticks(range(len(columns)), [fmt.group_name(c) for c in columns])
        ax.set_ylabel(f"{section.title.lower()} (%)")
        ax.set_ylim(0, 105)
        ax.set_title(f"{section.title}: score per group, 95% CI", loc="left")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)


def wtl_plot(report: Report, section: Section) -> str | None:
    """One horizontal bar per pair: shares of won, tied and lost queries."""
    if section.kind != "win":
        return None
    runs = [r for r in section.runs if {"win", "tie", "loss"} <= set(report.metrics[r])]
    if not runs:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(6.5, 0.55 * len(runs) + 1.3)
        labels = [section.labels[r] for r in runs][::-1]
        totals = [max(1, sum(int(report.metrics[r][k]) for k in WTL_COLORS)) for r in runs][::-1]
        left = [0.0] * len(runs)
        for key, colour in WTL_COLORS.items():
            counts = [int(report.metrics[r][key]) for r in runs][::-1]
            shares = [100 * c / t for c, t in zip(counts, totals, strict=True)]
            ax.barh(labels, shares, left=left, color=colour, label=key)
            for y, (x0, share, count) in enumerate(zip(left, shares, counts, strict=True)):
                if share >= 6:
                    ax.text(x0 + share / 2, y, str(count), ha="center", va="center", fontsize=8)
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.axvline(50, color="#555", linewidth=0.8, linestyle="--")
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of queries (%), counts written in; dashed line: 50 %")
        ax.set_title("Who wins each pair? (per-query majority)", loc="left")
        ax.legend(fontsize=8, ncol=3, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)


def cost_plot(report: Report, section: Section) -> str | None:
    """Score (with 95% CI) against mean tokens per query (LLM calls where tokens are 0)."""
    if section.kind in ("win", "retrieval"):
        return None
    key = "tokens_per_query"
    if not any(report.metrics[r].get(key) for r in section.runs):
        key = "llm_calls_per_query"
    points = [(i, r) for i, r in enumerate(section.runs)
              if not fmt.missing(report.metrics[r].get(key)) and not fmt.missing(report.metrics[r].get("mean"))]
    if not points:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(5.5, 3.0)
        markers = "osD^vP*X"
        for i, run in points:
            m = report.metrics[run]
            ax.errorbar([m[key]], [100 * m["mean"]], yerr=_errors([m]), fmt=markers[i % len(markers)],
                        color=color(i), capsize=3, markersize=7, label=section.labels[run])
        ax.set_xlabel(f"{fmt.column_name(key).lower()} (mean)")
        ax.set_ylabel(f"{section.title.lower()} (%)")
        ax.set_ylim(0, 105)
        ax.set_xlim(0, 1.25 * max(float(report.metrics[r][key]) for _, r in points) or 1.0)
        ax.set_title(f"{section.title}: score against cost", loc="left")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)


def section_plots(report: Report, section: Section) -> list[tuple[str, str]]:
    """(question, base64 SVG) for every plot that applies to ``section``."""
    plots = [("How does each run score in each group?", group_plot(report, section)),
             ("Who wins each pair?", wtl_plot(report, section)),
             ("What does each run's score cost?", cost_plot(report, section))]
    return [(question, svg) for question, svg in plots if svg]
