"""The exact-answer judge: compare final answers with known expected answers.

``Query.expected_answer`` may be

- a number: some number in the answer equals it within tolerance (relative ``rel_tol``,
  absolute ``abs_tol``) or equals it rounded to the decimals the answer shows;
- a string: its normalised form (NFKC, case-folded, punctuation → space, collapsed
  spaces; numbers inside are compared as numbers) occurs in the normalised answer on word
  boundaries;
  ISO dates and 24-hour times also match their usual spellings (``April 10, 2024``, ``6 PM``);
- a bool: the first yes/true or no/false word decides; without one, a negation means no;
- a list: every element must be found (repeated numbers as often as listed);
  ``{"any_of": [...]}``: one of them must be found.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.rules import rule_reason
from toolbench.config import Config, require
from toolbench.types import Query, Trajectory, Verdict, VerdictLabel

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
        return bool(expected) and _matches_all(answer, list(expected), config)
    return any(_matches_string(answer, form, config) for form in string_forms(str(expected)))


def _matches_all(answer: str, expected: list[Any], config: ExactConfig) -> bool:
    """Every element found; repeated numbers must appear as often (prime factors 2, 2, 3, 7).

    >>> factors = [2, 2, 3, 7]
    >>> _matches_all("84 = 2 x 2 x 3 x 7", factors, ExactConfig()), _matches_all("2, 3, 7", factors, ExactConfig())
    (True, False)
    """
    numbers = [e for e in expected if isinstance(e, (int, float)) and not isinstance(e, bool)]
    found = numbers_in(answer)
    for value in set(numbers):
        hits = sum(number_matches(v, d, float(value), config) for v, d in found)
        if hits < numbers.count(value):
            return False
    return all(matches(answer, e, config) for e in expected if e not in numbers or isinstance(e, bool))


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def string_forms(expected: str) -> list[str]:
    """The expected string plus equivalent spellings of ISO dates and 24-hour times.

    >>> string_forms("2024-04-10")
    ['2024-04-10', 'April 10, 2024', '10 April 2024', 'April 10th, 2024', '2024/04/10']
    >>> string_forms("18:00"), string_forms("Paris")
    (['18:00', '6:00 PM', '6 PM', '6:00 p.m.', '6 p.m.'], ['Paris'])
    """
    forms = [expected]
    if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", expected.strip()):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if 1 <= month <= 12:
            name = _MONTHS[month - 1]
            suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
            forms += [f"{name} {day}, {year}", f"{day} {name} {year}", f"{name} {day}{suffix}, {year}",
                      f"{year}/{month:02d}/{day:02d}"]
    elif match := re.fullmatch(r"(\d{1,2}):(\d{2})", expected.strip()):
        hour, minute = int(match[1]), int(match[2])
        half = "AM" if hour < 12 else "PM"
        h12 = hour % 12 or 12
        forms += [f"{h12}:{minute:02d} {half}"] + ([f"{h12} {half}"] if minute == 0 else [])
        forms += [f"{h12}:{minute:02d} {half[0].lower()}.m."] + ([f"{h12} {half[0].lower()}.m."] if minute == 0 else [])
    return forms


def _matches_string(answer: str, expected: str, config: ExactConfig) -> bool:
    if _contains_phrase(normalise_text(answer), normalise_text(expected)):
        return True
    wanted = numbers_in(expected)
    if wanted and normalise_text(_NUMBER.sub(" ", expected)) == "":
        return _matches_all(answer, [v for v, _ in wanted], config)
    return False


_YES, _NO = {"yes", "true", "correct"}, {"no", "false", "incorrect"}
_NEGATIONS = {"not", "isn", "isnt", "never", "doesn", "doesnt", "wasn", "wasnt"}


def _matches_bool(answer: str, expected: bool) -> bool:
    """The first yes/no word decides; without one, a negation means no.

    >>> _matches_bool("No, 2100 is not a leap year.", False), _matches_bool("2100 is not a leap year", False)
    (True, True)
    >>> _matches_bool("Yes, it reads the same and is not changed", True), _matches_bool("It is a palindrome", True)
    (True, True)
    """
    words = normalise_text(answer).replace("'", " ").split()
    first = next((w for w in words if w in _YES | _NO), None)
    said_yes = first in _YES if first is not None else not (set(words) & _NEGATIONS)
    return bool(words) and said_yes == expected


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
            verdicts.append(Verdict(t.query_id, VerdictLabel.INCORRECT, reason, "exact", {"expected": want},
                                    by_rule=True))
            continue
        ok = matches(t.final_answer, want, config)
        text = f"expected {want!r} {'found' if ok else 'not found'} in the final answer"
        label = VerdictLabel.CORRECT if ok else VerdictLabel.INCORRECT
        verdicts.append(Verdict(t.query_id, label, text, "exact", {"expected": want}))
    return verdicts
