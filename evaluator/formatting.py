"""How numbers and names look in reports: percentages with CIs, rounded costs, human labels.

Pure functions of their arguments, so the same report always reads the same.
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "–"

COLUMN_NAMES: dict[str, str] = {
    "n": "Queries",
    "judgings": "Judgings",
    "mean": "Score",
    "std": "Std over judgings",
    "majority_rate": "Majority-vote score",
    "tooleval_pass_rate": "ToolEval pass rate",
    "win_rate": "Win rate (ties ½)",
    "by_rule": "Decided by rule",
    "errors": "Judge errors",
    "unjudged": "Unjudged",
    "llm_decided": "Decided by the judge",
    "llm_calls_per_query": "LLM calls / query",
    "tokens_per_query": "Tokens / query",
    "api_calls_per_query": "API calls / query",
    "seconds_per_query": "Seconds / query",
    "judge_llm_calls": "Judge LLM calls",
    "judge_tokens": "Judge tokens",
    "llm_calls": "LLM calls",
    "tokens": "Tokens",
    "api_calls": "API calls",
    "steps": "Steps",
    "finish_reason": "Finish",
}

JUDGE_TITLES: dict[str, str] = {
    "pass": "Pass rate",
    "win": "Win rate",
    "exact": "Exact answers",
    "fac": "Final-answer check",
    "ast": "Function calls (AST match)",
    "retrieval": "Retrieval",
}

PERCENT_KEYS = frozenset({"mean", "std", "majority_rate", "tooleval_pass_rate", "win_rate"})


def missing(value: Any) -> bool:
    """True for None and NaN.

    >>> missing(None), missing(float("nan")), missing(0.0)
    (True, True, False)
    """
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage.

    >>> pct(0.4625), pct(1), pct(None)
    ('46.2 %', '100.0 %', '–')
    """
    return DASH if missing(value) else f"{100 * float(value):.{digits}f} %"


def pct_ci(value: Any, low: Any = None, high: Any = None) -> str:
    """A fraction as a percentage with its 95% CI in brackets (percentage points).

    >>> pct_ci(0.4625, 0.381, 0.54)
    '46.2 % [38.1, 54.0]'
    >>> pct_ci(0.5), pct_ci(None, 0.1, 0.2)
    ('50.0 %', '–')
    """
    if missing(value):
        return DASH
    text = pct(value)
    if not missing(low) and not missing(high):
        text += f" [{100 * float(low):.1f}, {100 * float(high):.1f}]"
    return text


def signed_pp(value: Any, low: Any = None, high: Any = None) -> str:
    """A difference of fractions in percentage points, signed, with its CI.

    >>> signed_pp(0.125, -0.02, 0.27)
    '+12.5 pp [-2.0, +27.0]'
    >>> signed_pp(-0.05)
    '-5.0 pp'
    """
    if missing(value):
        return DASH
    text = f"{100 * float(value):+.1f} pp"
    if not missing(low) and not missing(high):
        text += f" [{100 * float(low):+.1f}, {100 * float(high):+.1f}]"
    return text


def amount(value: Any) -> str:
    """A count or cost, rounded so it reads at a glance (thousands separated).

    >>> amount(7.416667), amount(8492.770833), amount(0.25), amount(3), amount(None)
    ('7.4', '8,493', '0.25', '3', '–')
    """
    if missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    number = float(value)
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 1 or number == 0:
        return f"{number:.1f}"
    return f"{number:.2g}"


def metric_value(key: str, value: Any) -> str:
    """One headline number formatted by what it is (rates as %, costs rounded).

    >>> metric_value("majority_rate", 0.75), metric_value("tokens_per_query", 1234.5), metric_value("ndcg@5", 0.5)
    ('75.0 %', '1,234', '0.500')
    """
    if key in PERCENT_KEYS:
        return pct(value)
    if re.match(r"^(ndcg|recall|precision|completeness|mrr|map)", key) and not missing(value):
        return f"{float(value):.3f}"
    return amount(value)


def column_name(key: str) -> str:
    """A human column name for a metric key.

    >>> column_name("llm_calls_per_query"), column_name("ndcg@5"), column_name("some_key")
    ('LLM calls / query', 'NDCG@5', 'Some key')
    """
    if key in COLUMN_NAMES:
        return COLUMN_NAMES[key]
    head, sep, tail = key.partition("@")
    if sep:
        return f"{head.upper() if len(head) <= 4 else head.capitalize()}@{tail}"
    return key.replace("_", " ").capitalize()


def group_name(group: str) -> str:
    """A readable query-group name.

    >>> group_name("G1_instruction"), group_name("all"), group_name("math")
    ('G1 instruction', 'all', 'math')
    """
    return group.replace("_", " ")


def judge_title(kind: str) -> str:
    """The section title of a judge.

    >>> judge_title("pass"), judge_title("mine")
    ('Pass rate', 'Mine')
    """
    return JUDGE_TITLES.get(kind, kind.capitalize())


def safe_name(text: str, limit: int = 80) -> str:
    """A file-system-safe name (letters, digits, ``._-``).

    >>> safe_name("tuned: dfsdt vs base: cot"), safe_name("G1/10")
    ('tuned_dfsdt_vs_base_cot', 'G1_10')
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:limit] or "x"
