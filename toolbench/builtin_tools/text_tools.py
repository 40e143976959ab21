"""Text utilities: counting, case, reversal, palindromes, occurrences, slugs."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from toolbench.builtin_tools._common import builtin

text_tool = builtin(
    "Text Utilities", "Text",
    "Small text operations: count words and characters, change case, reverse, find palindromes, make slugs.",
)

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
MAX_TEXT = 100_000


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ValueError(f"text must be at most {MAX_TEXT} characters")
    return text


@text_tool
def count_words(text: str) -> dict[str, Any]:
    """Count the words in a text (hyphenated words and contractions count once).

    Args:
        text: The text.
    """
    words = _WORD.findall(_text(text))
    return {"words": len(words), "unique_words": len({w.lower() for w in words})}


@text_tool
def count_characters(text: str, include_spaces: bool = True) -> dict[str, Any]:
    """Count the characters of a text, with or without whitespace, plus letters and digits.

    Args:
        text: The text.
        include_spaces: Whether whitespace counts as characters.
    """
    body = _text(text) if include_spaces else "".join(ch for ch in text if not ch.isspace())
    return {"characters": len(body), "letters": sum(ch.isalpha() for ch in text),
            "digits": sum(ch.isdigit() for ch in text)}


@text_tool
def change_case(text: str, case: Literal["upper", "lower", "title", "sentence"]) -> dict[str, Any]:
    """Change the letter case of a text.

    Args:
        text: The text.
        case: "upper", "lower", "title" (Each Word) or "sentence" (First letter only).
    """
    body = _text(text)
    changed = {
        "upper": body.upper,
        "lower": body.lower,
        "title": body.title,
        "sentence": lambda: body[:1].upper() + body[1:].lower(),
    }[case]()
    return {"case": case, "text": changed}


@text_tool
def reverse_text(text: str, unit: Literal["characters", "words"] = "characters") -> dict[str, Any]:
    """Reverse a text character by character, or reverse the order of its words.

    Args:
        text: The text.
        unit: "characters" or "words".
    """
    body = _text(text)
    reversed_text = body[::-1] if unit == "characters" else " ".join(reversed(body.split()))
    return {"unit": unit, "text": reversed_text}


@text_tool
def is_palindrome(text: str) -> dict[str, Any]:
    """Check whether a text reads the same backwards, ignoring case, spaces and punctuation.

    Args:
        text: The word or sentence, e.g. "A man, a plan, a canal: Panama".
    """
    letters = [ch.lower() for ch in _text(text) if ch.isalnum()]
    return {"text": text, "is_palindrome": bool(letters) and letters == letters[::-1]}


@text_tool
def count_occurrences(text: str, substring: str, case_sensitive: bool = False) -> dict[str, Any]:
    """Count how often a substring occurs in a text (non-overlapping).

    Args:
        text: The text to search.
        substring: The text to count, e.g. "the".
        case_sensitive: Whether upper and lower case must match.
    """
    if not substring:
        raise ValueError("substring must not be empty")
    body, needle = (text, substring) if case_sensitive else (_text(text).lower(), substring.lower())
    return {"substring": substring, "count": body.count(needle)}


@text_tool
def slugify(text: str) -> dict[str, Any]:
    """Turn a title into a URL slug: lower case ASCII words joined by hyphens.

    Args:
        text: The title, e.g. "Héllo, World!".
    """
    ascii_text = unicodedata.normalize("NFKD", _text(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return {"slug": slug}
