"""``report.html`` and the other pages: Jinja2 templates (``evaluator/templates``), autoescaped.

The report page is self-contained (plots embedded as base64 SVG, no script, no network):
one section per judge (headline table, side-by-side comparison, the plots that apply,
details), then the query table whose verdicts open each trajectory's page.
"""

from __future__ import annotations

import functools
from typing import Any

from evaluator.layout import build_layout
from evaluator.plots import section_plots
from toolbench.types import Report


@functools.cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("evaluator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, **variables: Any) -> str:
    """Render ``templates/<template>`` with autoescaping; a missing variable raises.

    >>> layout = build_layout(Report("pass", config={"run": "a & b"}))
    >>> "<h1>Evaluation report: a &amp; b</h1>" in render_page("report.html.j2", layout=layout, plots={}, index_href="")
    True
    """
    return _environment().get_template(template).render(**variables)


def render_html(report: Report, views: dict[tuple[str, str], str] | None = None, index_href: str = "") -> str:
    """The whole self-contained report page; ``views`` maps (run, query id) to a page link."""
    layout = build_layout(report, views)
    plots = {s.kind: section_plots(report, s) for s in layout.sections}
    return render_page("report.html.j2", layout=layout, plots=plots, index_href=index_href)
