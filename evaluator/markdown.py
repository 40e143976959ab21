"""``report.md``: the same content as ``report.html`` (see :mod:`evaluator.layout`), as Markdown."""

from __future__ import annotations

from typing import Any

from evaluator.layout import Cell, Table, build_layout
from toolbench.types import Report


def cell(value: Any) -> str:
    """A Markdown table cell (pipes escaped, newlines flattened; a linked cell becomes a link).

    >>> cell("a|b\\nc"), cell(0.5), cell(None), cell(["x", "y"]), cell(Cell("Solved", href="view/1.html"))
    ('a\\\\|b c', '0.5', '', 'x, y', '[Solved](view/1.html)')
    """
    if isinstance(value, Cell):
        text = cell(value.text)
        return f"[{text}]({value.href.replace(' ', '%20')})" if value.href and text else text
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
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _table(t: Table) -> str:
    return table(t.header, t.rows)


def render_markdown(report: Report, views: dict[tuple[str, str], str] | None = None, index_href: str = "") -> str:
    """The whole Markdown report."""
    layout = build_layout(report, views)
    parts = [f"# {layout.title}", "", layout.subtitle, ""]
    if index_href:
        parts += [f"All queries (filter, sort, open a trajectory): [{index_href}]({index_href})", ""]
    for s in layout.sections:
        parts += [f"## {s.title}", "", _table(s.headline), ""]
        if s.comparison:
            parts += ["### Side by side", "",
                      "Difference of per-query scores on the queries both runs answered; 95% CI by paired bootstrap.",
                      "", _table(s.comparison), ""]
        if s.details:
            parts += ["### Details", "", _table(s.details), ""]
    parts += ["## Queries", "", _table(layout.queries), ""]
    parts += ["## Configuration", "", "```json", layout.config_json, "```", ""]
    return "\n".join(parts)
