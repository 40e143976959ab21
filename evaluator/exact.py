"""The exact-answer judge: compare final answers with known expected answers.

``Query.expected_answer`` may be

- a number: some number in the answer equals it within tolerance (relative ``rel_tol``,
  absolute ``abs_tol``) or equals it rounded to the decimals the answer shows;
- a string: its normalised form (NFKC, case-folded, punctuation → space, collapsed
  spaces; numbers inside are compared as numbers) occurs in the normalised answer on word
  boundaries;
- a bool: yes/true or no/false appears (and the opposite does not);
- a list: every element must be found; ``{"any_of": [...]}``: one of them must be found.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.aggregate import CORRECT, INCORRECT
from evaluator.rules import rule_reason
from toolbench.config import Config, require
from toolbench.types import Query, Trajectory, Verdict

_NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class ExactConfig(Config):
    """Tolerances of numeric comparison."""

    rel_tol: float = 1e-6
    abs_tol: float = 1e-9
    rounding: bool = True

    def validate(self) -> None:
        require(self.rel_tol >= 0 and self.abs_tol >= 0, "tolerances must be >= 0")


def normalise_text(text: str) -> str:
    """NFKC, case-fold, punctuation to spaces, collapsed whitespace.

    >>> normalise_text("  Paris,   FRANCE! ")
    'paris france'
    >>> normalise_text("Ünïcode—dash")
    'ünïcode dash'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in text)
    return " ".join(text.split())


def numbers_in(text: str) -> list[tuple[float, int]]:
    """Numbers in ``text`` with their count of decimals shown (thousands separators allowed).

    >>> numbers_in("It costs 1,234.50 USD, not -3 or 2e3.")
    [(1234.5, 2), (-3.0, 0), (2000.0, 0)]
    """
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group(0).replace(",", "").replace("−", "-")
        mantissa = token.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa and "e" not in token.lower() else 0
        try:
            found.append((float(token), decimals))
        except ValueError:
            continue
    return found


def number_matches(found: float, decimals: int, expected: float, config: ExactConfig = ExactConfig()) -> bool:
    """``found`` equals ``expected`` within tolerance, or ``expected`` rounded to ``decimals``.

    >>> number_matches(3.14, 2, math.pi), number_matches(3.1, 1, math.pi), number_matches(3.2, 1, math.pi)
    (True, True, False)
    >>> number_matches(100.0, 0, 100.4, ExactConfig(rounding=False))
    False
    """
    if math.isclose(found, expected, rel_tol=config.rel_tol, abs_tol=config.abs_tol):
        return True
    if config.rounding:
        return abs(found - expected) <= 0.5 * 10 ** (-decimals) + config.abs_tol
    return False


def _contains_phrase(haystack: str, needle: str) -> bool:
    """Word-boundary containment of normalised text.

    >>> _contains_phrase("the capital is paris", "paris"), _contains_phrase("parisian", "paris")
    (True, False)
    """
    if not needle:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def matches(answer: str, expected: Any, config: ExactConfig = ExactConfig()) -> bool:
    """Whether ``answer`` contains ``expected`` (see the module docstring).

    >>> matches("The total is $1,250.00.", 1250)
    True
    >>> matches("Capital: Paris", "paris"), matches("Capital: Lyon", "Paris")
    (True, False)
    >>> matches("Yes, it is a leap year.", True), matches("No.", True)
    (True, False)
    >>> matches("Tokyo and Osaka", ["osaka", "tokyo"]), matches("Kyoto", {"any_of": ["Kyoto", "Nara"]})
    (True, True)
    """
    if isinstance(expected, bool):
        return _matches_bool(answer, expected)
    if isinstance(expected, (int, float)):
        return any(number_matches(v, d, float(expected), config) for v, d in numbers_in(answer))
    if isinstance(expected, dict) and "any_of" in expected:
        return any(matches(answer, e, config) for e in expected["any_of"])
    if isinstance(expected, (list, tuple)):
        return bool(expected) and all(matches(answer, e, config) for e in expected)
    return _matches_string(answer, str(expected), config)


def _matches_string(answer: str, expected: str, config: ExactConfig) -> bool:
    if _contains_phrase(normalise_text(answer), normalise_text(expected)):
        return True
    wanted = numbers_in(expected)
    if wanted and normalise_text(_NUMBER.sub(" ", expected)) == "":
        return all(matches(answer, v, config) for v, _ in wanted)
    return False


def _matches_bool(answer: str, expected: bool) -> bool:
    words = set(normalise_text(answer).split())
    yes = bool(words & {"yes", "true", "correct"})
    no = bool(words & {"no", "false", "not", "incorrect"})
    return (yes and not no) if expected else (no and not yes)


def judge_exact(
    trajectories: Sequence[Trajectory], queries: Sequence[Query], config: ExactConfig = ExactConfig()
) -> list[Verdict]:
    """``correct``/``incorrect`` for each trajectory whose query has an expected answer."""
    expected = {q.query_id: q.expected_answer for q in queries if q.expected_answer is not None}
    verdicts = []
    for t in trajectories:
        if t.query_id not in expected:
            continue
        want = expected[t.query_id]
        reason = rule_reason(t)
        if reason is not None:
            verdicts.append(Verdict(t.query_id, INCORRECT, reason, "exact", {"expected": want}, by_rule=True))
            continue
        ok = matches(t.final_answer, want, config)
        text = f"expected {want!r} {'found' if ok else 'not found'} in the final answer"
        verdicts.append(Verdict(t.query_id, CORRECT if ok else INCORRECT, text, "exact", {"expected": want}))
    return verdicts
