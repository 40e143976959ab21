"""Numbers in words (``num2words``) and Roman numerals."""

from __future__ import annotations

from typing import Any, Literal

from toolbench.builtin_tools._common import builtin

words_tool = builtin(
    "Number Words", "Text",
    "Spell numbers in words (cardinal, ordinal, years, currency amounts) in many languages; Roman numerals.",
)

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _words(number: float, **options: Any) -> str:
    from num2words import num2words

    if abs(number) >= 10**15:
        raise ValueError("number must be smaller than 10^15")
    try:
        return num2words(number, **options)
    except NotImplementedError:
        raise ValueError(f"language {options.get('lang')!r} is not supported") from None
    except (OverflowError, TypeError) as exc:
        raise ValueError(str(exc)) from None


@words_tool
def number_to_words(number: float, language: str = "en") -> dict[str, Any]:
    """Spell a number in words, e.g. 1234 -> "one thousand, two hundred and thirty-four".

    Args:
        number: The number to spell (integer or decimal).
        language: Language code, e.g. "en", "fr", "de", "es".
    """
    value = int(number) if float(number).is_integer() else number
    return {"number": value, "language": language, "words": _words(value, lang=language)}


@words_tool
def ordinal_words(number: int, language: str = "en") -> dict[str, Any]:
    """Spell an ordinal number in words, e.g. 21 -> "twenty-first".

    Args:
        number: A whole number.
        language: Language code, e.g. "en".
    """
    return {"number": number, "words": _words(number, to="ordinal", lang=language)}


@words_tool
def currency_amount_in_words(
    amount: float, currency: Literal["USD", "EUR", "GBP", "JPY", "CHF", "INR"] = "USD"
) -> dict[str, Any]:
    """Write a money amount in words, e.g. 12.50 EUR -> "twelve euro, fifty cents".

    Args:
        amount: The amount of money.
        currency: The currency code.
    """
    return {"amount": amount, "currency": currency, "words": _words(amount, to="currency", currency=currency)}


@words_tool
def to_roman_numeral(number: int) -> dict[str, Any]:
    """Write a whole number from 1 to 3999 as a Roman numeral, e.g. 2024 -> MMXXIV.

    Args:
        number: The number, 1 to 3999.
    """
    if not 1 <= number <= 3999:
        raise ValueError("number must be between 1 and 3999")
    out, rest = [], number
    for value, letters in _ROMAN:
        count, rest = divmod(rest, value)
        out.append(letters * count)
    return {"number": number, "roman": "".join(out)}


@words_tool
def from_roman_numeral(roman: str) -> dict[str, Any]:
    """Read a Roman numeral as a number, e.g. MCMXCIV -> 1994.

    Args:
        roman: The Roman numeral, e.g. "XLII".
    """
    text = str(roman).strip().upper()
    values = dict((letters, value) for value, letters in _ROMAN if len(letters) == 1)
    if not text or any(ch not in values for ch in text):
        raise ValueError(f"{roman!r} is not a Roman numeral")
    total = 0
    for index, ch in enumerate(text):
        value = values[ch]
        following = values[text[index + 1]] if index + 1 < len(text) else 0
        total += -value if value < following else value
    if not 1 <= total <= 3999 or to_roman_numeral(total)["roman"] != text:
        raise ValueError(f"{roman!r} is not a well-formed Roman numeral")
    return {"roman": text, "number": total}
