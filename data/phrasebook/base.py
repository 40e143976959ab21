"""The :class:`CallTemplate` record and the slot pools the phrasebook draws from."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Slots = dict[str, Any]


@dataclass(frozen=True)
class CallTemplate:
    """One request answered by one built-in function call.

    ``phrasings`` are wordings with ``{slot}`` placeholders; ``arguments`` values are
    ``"{slot}"`` (the slot's raw, typed value) or format strings; ``answer_key`` is the
    response field (dotted for nested ones) that answers the request. A template that can
    take an earlier call's result names the ``chain_slot`` it fills, the kinds of value it
    ``accepts`` (:func:`fits`) and ``chain_phrasings`` that refer to it as ``{ref}``.
    ``noun`` is how a later request refers to this one's answer ("that average").
    """

    key: str
    function: str
    phrasings: tuple[str, ...]
    arguments: dict[str, Any]
    answer_key: str
    slots: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    noun: str = "result"
    derive: Callable[[Slots], Slots] | None = None
    chain_slot: str | None = None
    accepts: tuple[str, ...] = ()
    chain_phrasings: tuple[str, ...] = ()
    valid: Callable[[Any], bool] | None = None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fits(value: Any, kinds: tuple[str, ...]) -> bool:
    """Whether an earlier result can fill a chain slot accepting ``kinds``: ``int`` (a
    whole number), ``year`` (a whole number from 1000 to 2999), ``num`` (any number),
    ``date``, ``element`` (a chemical element's name), ``name`` (words without digits),
    ``text`` (any string).

    >>> fits(25.0, ("int",)), fits(2.5, ("int",)), fits("2024-01-05", ("date",)), fits("gold", ("element",))
    (True, False, True, True)
    >>> fits(44, ("year",)), fits("RAIN FALLS", ("element",))
    (False, False)
    """
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    whole = number and float(value).is_integer()
    text = isinstance(value, str) and value.strip() != ""
    checks = {
        "int": whole,
        "year": whole and 1000 <= value <= 2999,
        "num": number,
        "date": isinstance(value, str) and _DATE.fullmatch(value) is not None,
        "element": text and value.strip().lower() in element_names(),
        "name": text and not any(ch.isdigit() for ch in value),
        "text": text,
    }
    return any(checks.get(kind, False) for kind in kinds)


@functools.cache
def element_names() -> frozenset[str]:
    """Lower-case names of the chemical elements (from ``periodictable``).

    >>> "iron" in element_names(), "banana" in element_names()
    (True, False)
    """
    import periodictable

    return frozenset(element.name.lower() for element in periodictable.elements if element.number > 0)


def dates(start: str, end: str, step: int) -> tuple[str, ...]:
    """ISO dates from ``start`` to ``end`` every ``step`` days.

    >>> dates("2024-01-01", "2024-01-10", 4)
    ('2024-01-01', '2024-01-05', '2024-01-09')
    """
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out = []
    while first <= last:
        out.append(first.isoformat())
        first += dt.timedelta(days=step)
    return tuple(out)


def ordinal(n: int) -> str:
    """``n`` with its English ordinal suffix.

    >>> ordinal(1), ordinal(12), ordinal(23), ordinal(111)
    ('1st', '12th', '23rd', '111th')
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number_lists(rng_seed: int, count: int, size: tuple[int, int], low: int, high: int) -> tuple[list[int], ...]:
    """``count`` lists of whole numbers drawn with a fixed seed (pools stay the same run to run)."""
    import random

    rng = random.Random(rng_seed)
    return tuple([rng.randint(low, high) for _ in range(rng.randint(*size))] for _ in range(count))


DATES = dates("2018-01-03", "2031-12-29", 5)
YEARS = tuple(range(1890, 2101))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
COUNTRIES = ("France", "Japan", "Germany", "Canada", "Italy", "Spain", "India", "Mexico", "Australia", "Sweden",
             "Norway", "Poland", "Portugal", "Netherlands", "Belgium", "Austria", "Ireland", "Greece", "Chile",
             "Peru", "Egypt", "Nigeria", "Vietnam", "Thailand", "Finland", "Denmark", "Colombia", "Turkey",
             "New Zealand", "South Africa", "Switzerland", "Kenya", "Brazil", "Argentina", "Philippines")
HOLIDAY_COUNTRIES = ("France", "Germany", "Japan", "Canada", "Italy", "Spain", "Sweden", "Norway", "Poland",
                     "Portugal", "Netherlands", "Belgium", "Austria", "Ireland", "Australia", "United States",
                     "United Kingdom", "Mexico", "Brazil", "Finland", "Denmark", "New Zealand", "Switzerland")
ZONES = ("Europe/Paris", "Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney",
         "America/Los_Angeles", "Europe/Berlin", "Asia/Singapore", "America/Sao_Paulo", "Africa/Cairo",
         "Asia/Dubai", "Europe/Madrid", "America/Chicago", "Pacific/Auckland", "Asia/Shanghai", "Europe/Moscow",
         "America/Toronto", "Africa/Johannesburg", "Asia/Seoul")
REGIONS = ("Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian", "Antarctica")
ELEMENTS = ("hydrogen", "helium", "lithium", "carbon", "nitrogen", "oxygen", "neon", "sodium", "magnesium",
            "aluminium", "silicon", "phosphorus", "sulfur", "chlorine", "argon", "potassium", "calcium", "titanium",
            "chromium", "manganese", "iron", "cobalt", "nickel", "zinc", "bromine", "krypton", "tin", "iodine",
            "xenon", "platinum", "mercury", "lead", "uranium", "tungsten")
SYMBOLS = ("H", "He", "Li", "C", "N", "O", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K", "Ca", "Ti",
           "Cr", "Mn", "Fe", "Co", "Ni", "Zn", "Br", "Kr", "Sn", "I", "Xe", "Pt", "Hg", "Pb", "U", "W")
FORMULAS = ("NH3", "CH4", "C2H6O", "NaOH", "HCl", "CaCO3", "KCl", "H2O2", "C3H8", "MgO", "Fe2O3", "SiO2",
            "C12H22O11", "NaHCO3", "CuSO4", "KMnO4", "N2O", "SO2", "C2H4", "Al2O3")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "INR", "CAD", "AUD", "SEK", "NOK", "MXN", "BRL", "ZAR", "KRW", "CNY",
              "PLN", "DKK", "NZD", "TRY", "THB", "EGP")
CURRENCY_NAMES = ("euro", "pound sterling", "yen", "Indian rupee", "Canadian dollar", "Swedish krona",
                  "Norwegian krone", "Mexican peso", "Brazilian real", "rand", "won", "zloty", "Danish krone",
                  "baht", "Egyptian pound")
LANGUAGES = ("French", "German", "Spanish", "Italian", "Portuguese", "Dutch", "Swedish", "Polish", "Greek",
             "Turkish", "Russian", "Chinese", "Korean", "Arabic", "Hindi", "Finnish", "Norwegian", "Danish",
             "Czech", "Hungarian")
WORDS = ("level", "banana", "robot", "stats", "kayak", "planet", "radar", "window", "noon", "garden", "rotor",
         "coffee", "silver", "madam", "pencil", "refer", "castle", "civic", "rocket", "tenet", "orange", "solos",
         "summer", "deified", "lantern", "racecars", "mirror", "wow", "forest", "music")
SENTENCES = ("the quick brown fox jumps", "tools make small models useful", "rain falls on the quiet town",
             "seven cats sat on a warm mat today", "learning never stops", "a journey of a thousand miles",
             "time flies like an arrow", "the early bird catches the worm", "practice makes progress",
             "every cloud has a silver lining", "knowledge is power", "keep calm and carry on",
             "the sun sets over the hills", "good things take time", "small steps every day",
             "read more books this year", "bright lights in the big city")
TITLES = ("Ten Tips for Better Sleep", "How to Bake Sourdough Bread", "The Future of Electric Cars",
          "Why Cats Love Boxes", "A Beginner's Guide to Chess", "Summer Travel on a Budget",
          "Learning Python in 30 Days", "The Science of Happiness")
