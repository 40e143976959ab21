"""``report.md``: headline numbers, per-group table and the per-query table."""

from __future__ import annotations

from typing import Any

from toolbench.types import Report

HEADLINE_KEYS = (
    "n", "judgings", "mean", "std", "ci_low", "ci_high", "majority_rate", "tooleval_pass_rate", "win_rate",
    "win", "tie", "loss", "by_rule", "errors", "unjudged", "llm_calls_per_query", "tokens_per_query",
    "api_calls_per_query",
)
ROW_KEYS = ("run", "query_id", "group", "majority", "score", "labels", "by_rule", "reason", "trajectory")


def cell(value: Any) -> str:
    """A Markdown table cell (pipes escaped, newlines flattened).

    >>> cell("a|b\\nc"), cell(0.5), cell(None), cell(["x", "y"])
    ('a\\\\|b c', '0.5', '', 'x, y')
    """
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table.

    >>> print(table(["a", "b"], [[1, 2]]))
    | a | b |
    | --- | --- |
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def metric_keys(report: Report) -> list[str]:
    """Headline keys present in any run, in a fixed order (then the rest sorted)."""
    present = {k for m in report.metrics.values() for k in m if not isinstance(m[k], dict)}
    ordered = [k for k in HEADLINE_KEYS if k in present]
    return ordered + sorted(present - set(ordered))


def render_markdown(report: Report) -> str:
    """The whole Markdown report."""
    keys = metric_keys(report)
    parts = [f"# {report.name} report", "", f"Runs: {', '.join(report.config.get('runs', []))}", ""]
    parts += ["## Summary", "", table(["run", *keys], [[run, *(m.get(k) for k in keys)]
                                                      for run, m in report.metrics.items()]), ""]
    group_rows = [[run, g, *(s.get(k) for k in ("n", "mean", "ci_low", "ci_high"))]
                  for run, gs in report.groups.items() for g, s in gs.items()]
    if group_rows:
        parts += ["## Groups (per-query mean score, bootstrap 95% CI)", "",
                  table(["run", "group", "n", "mean", "ci_low", "ci_high"], group_rows), ""]
    row_keys = [k for k in ROW_KEYS if any(k in r for r in report.rows)] or sorted({k for r in report.rows for k in r})
    parts += ["## Queries", "", table(row_keys, [[r.get(k) for k in row_keys] for r in report.rows]), ""]
    parts += ["## Configuration", "", "```json", _json(report.config), "```", ""]
    return "\n".join(parts)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
