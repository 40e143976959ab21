"""evaluator package of toolbench-kit (see docs/architecture.md, docs/evaluation.md).

Judges (each returns :class:`toolbench.types.Verdict` objects): :mod:`evaluator.pass_rate`
(ToolEval rules + LLM, SoPR), :mod:`evaluator.win_rate`, :mod:`evaluator.fac`,
:mod:`evaluator.exact`, :mod:`evaluator.ast_check` (BFCL; model text read by :mod:`evaluator.call_text`),
:mod:`evaluator.retrieval`.
Pure aggregation: :mod:`evaluator.aggregate`, :mod:`evaluator.summaries`. Reports:
:mod:`evaluator.report` (json), :mod:`evaluator.layout` (what a report shows),
:mod:`evaluator.markdown`, :mod:`evaluator.html_report`, :mod:`evaluator.plots`. Pages to read in a
browser: :mod:`evaluator.viewer` (one trajectory's search tree), :mod:`evaluator.site` (a page per
query and an index), :mod:`evaluator.browse` (``toolbench view``).
Entry points for the CLI and pipelines: :mod:`evaluator.api`.
"""
