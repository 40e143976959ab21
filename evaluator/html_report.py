"""``report.html``: one self-contained page with plots embedded as base64 SVG.

Plots: per-group score with bootstrap 95% CIs (bars per run), W/T/L bars (win reports),
cost against score (one point per run). matplotlib is imported lazily and rendered with
a fixed hash salt and no date, so the same report gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from evaluator.markdown import ROW_KEYS, metric_keys
from toolbench.types import Report

_RC = {"svg.hashsalt": "toolbench-kit", "svg.fonttype": "none", "font.size": 9, "figure.dpi": 100}
_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;
font-size:12px;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}img{max-width:100%;margin:0.5em 0 1.5em}.Solved,.win,.correct{background:#e3f6e3}
.Unsolved,.loss,.incorrect{background:#fbe3e3}.Unsure,.tie{background:#fff6d6}.Error{background:#eee}"""


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def group_plot(report: Report) -> str | None:
    """Bars of per-group mean score with CI error bars; base64 SVG or None."""
    runs = [r for r in report.groups if report.groups[r]]
    names = sorted({g for r in runs for g in report.groups[r]})
    if not names:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(max(4.0, 0.9 * len(names) * max(1, len(runs)) + 2), 3.2)
        width = 0.8 / len(runs)
        for i, run in enumerate(runs):
            xs, ys, lo, hi = [], [], [], []
            for j, g in enumerate(names):
                s = report.groups[run].get(g)
                if not s or s.get("mean") is None:
                    continue
                xs.append(j + i * width - 0.4 + width / 2)
                ys.append(s["mean"])
                lo.append(max(0.0, s["mean"] - (s.get("ci_low") if s.get("ci_low") is not None else s["mean"])))
                hi.append(max(0.0, (s.get("ci_high") if s.get("ci_high") is not None else s["mean"]) - s["mean"]))
            ax.bar(xs, ys, width=width, yerr=[lo, hi], capsize=3, label=run)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax.set_ylabel("score (95% bootstrap CI)")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7)
        return _svg(fig)


def wtl_plot(report: Report) -> str | None:
    """Stacked win/tie/loss bars, one per run; base64 SVG or None."""
    runs = [r for r, m in report.metrics.items() if {"win", "tie", "loss"} <= set(m)]
    if not runs:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(6.0, 0.6 * len(runs) + 1.2)
        left = [0.0] * len(runs)
        for label, color in (("win", "#4caf50"), ("tie", "#ffc107"), ("loss", "#e53935")):
            values = [float(report.metrics[r][label]) for r in runs]
            ax.barh(runs, values, left=left, color=color, label=label)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("queries (per-query majority)")
        ax.legend(fontsize=7, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        return _svg(fig)


def cost_plot(report: Report) -> str | None:
    """Score against mean tokens (or LLM calls) per query, one point per run; SVG or None."""
    key = "tokens_per_query"
    points = [(r, m.get(key), m.get("win_rate", m.get("mean"))) for r, m in report.metrics.items()]
    if not any(p[1] for p in points):
        key = "llm_calls_per_query"
        points = [(r, m.get(key), m.get("win_rate", m.get("mean"))) for r, m in report.metrics.items()]
    points = [p for p in points if p[1] is not None and p[2] is not None]
    if not points:
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = _figure(5.0, 3.2)
        for run, x, y in points:
            ax.scatter([x], [y])
            ax.annotate(run, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(key.replace("_", " "))
        ax.set_ylabel("score")
        ax.set_ylim(0, 1.05)
        return _svg(fig)


def _esc(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return html.escape("" if value is None else str(value))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(rows_cells) + "</tr>" for rows_cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _row_cells(row: dict[str, Any], keys: list[str]) -> list[str]:
    cells = []
    for k in keys:
        value = row.get(k)
        if k == "trajectory" and value:
            cells.append(f'<td><a href="{html.escape(str(value), quote=True)}">trajectory</a></td>')
        elif k == "majority":
            cells.append(f'<td class="{_esc(value)}">{_esc(value)}</td>')
        else:
            cells.append(f"<td>{_esc(value)}</td>")
    return cells


def render_html(report: Report) -> str:
    """The whole self-contained HTML page."""
    keys = metric_keys(report)
    parts = [f"<h1>{_esc(report.name)} report</h1>", "<h2>Summary</h2>",
             _table(["run", *keys], [[f"<td>{_esc(r)}</td>", *(f"<td>{_esc(m.get(k))}</td>" for k in keys)]
                                      for r, m in report.metrics.items()])]
    for title, plot in (("Per-group score (bootstrap 95% CI)", group_plot(report)),
                        ("Win / tie / loss", wtl_plot(report)), ("Cost against score", cost_plot(report))):
        if plot:
            parts.append(f'<h2>{title}</h2><img alt="{title}" src="data:image/svg+xml;base64,{plot}">')
    row_keys = [k for k in ROW_KEYS if any(k in r for r in report.rows)] or sorted({k for r in report.rows for k in r})
    parts += ["<h2>Queries</h2>", _table(row_keys, [_row_cells(r, row_keys) for r in report.rows])]
    parts += ["<h2>Configuration</h2>", f"<pre>{_esc(_json(report.config))}</pre>"]
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{_esc(report.name)} report</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
