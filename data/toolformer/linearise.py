"""Write and read Toolformer API calls in text: ``[Tool(input) -> result]`` / ``[Tool(input)]``.

The three marker strings (``[``, ``]``, ``->``) are configurable through
:class:`Markers`. Everything here is pure string work: formatting a call, inserting
calls at character offsets, and parsing them back out (the parser is the inverse of
:func:`insert_calls`, so augmented text round-trips to the original text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from toolbench.config import Config, require


@dataclass(frozen=True)
class Markers(Config):
    """The call delimiters; the paper prints ``<API>``, ``</API>`` and ``→`` as ``[``, ``]``, ``->``."""

    open: str = "["
    close: str = "]"
    arrow: str = "->"

    def validate(self) -> None:
        require(all((self.open, self.close, self.arrow)), "call markers must be non-empty")
        require(len({self.open, self.close, self.arrow}) == 3, "call markers must differ")

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        o, c, a = (re.escape(s) for s in (self.open, self.close, self.arrow))
        return re.compile(
            rf"{o}(?P<tool>[A-Za-z_][\w.]*)\((?P<input>.*?)\)"
            rf"(?:[ \t]*{a}[ \t]*(?P<result>(?:(?!{c}).)*?))?[ \t]*{c}"
        )


DEFAULT_MARKERS = Markers()


@dataclass(frozen=True)
class Call:
    """One API call: tool name, input text and (once executed) its result."""

    tool: str
    input: str
    result: str | None = None

    def render(self, markers: Markers = DEFAULT_MARKERS, *, with_result: bool = True) -> str:
        """The linear form of the call.

        >>> Call("Calculator", "48/2", "24").render()
        '[Calculator(48/2) -> 24]'
        >>> Call("Calculator", "48/2", "24").render(with_result=False)
        '[Calculator(48/2)]'
        """
        body = f"{self.tool}({self.input})"
        if with_result and self.result is not None:
            body += f" {markers.arrow} {self.result}"
        return f"{markers.open}{body}{markers.close}"


@dataclass(frozen=True)
class PlacedCall:
    """A call placed in a text at character ``offset`` (before ``text[offset]``)."""

    offset: int
    call: Call


def parse_call(text: str, markers: Markers = DEFAULT_MARKERS) -> Call | None:
    """Parse one complete linearised call (the whole string), or ``None`` if malformed.

    >>> parse_call("[Calculator(400 / 1400) -> 0.29]")
    Call(tool='Calculator', input='400 / 1400', result='0.29')
    >>> parse_call("[Calendar()]")
    Call(tool='Calendar', input='', result=None)
    >>> parse_call("[Calculator(1+") is None
    True
    """
    match = markers.pattern.fullmatch(text.strip())
    if match is None:
        return None
    return Call(match["tool"], match["input"].strip(), match["result"])


def parse_partial(generated: str, markers: Markers = DEFAULT_MARKERS) -> Call | None:
    """Parse a sampled call body (what follows the opening marker) up to ``->`` or ``]``.

    The result part a model may write itself is dropped: results come from the tool.

    >>> parse_partial("Calculator(48 / 2)] and more")
    Call(tool='Calculator', input='48 / 2', result=None)
    >>> parse_partial("Calculator(48/2) -> 23")
    Call(tool='Calculator', input='48/2', result=None)
    >>> parse_partial("Calculator 48/2]") is None
    True
    """
    cut = [i for i in (generated.find(markers.arrow), generated.find(markers.close)) if i >= 0]
    if not cut:
        return None
    body = generated[: min(cut)].strip()
    return parse_call(f"{markers.open}{body}{markers.close}", markers)


def insert_calls(text: str, placed: list[PlacedCall], markers: Markers = DEFAULT_MARKERS) -> str:
    """Insert calls at their offsets (several per text, any order).

    A call before whitespace gets a space in front, as in the paper
    (``is [Calculator(2011 - 1994)] 17 years``).

    >>> insert_calls("it was 17 years", [PlacedCall(6, Call("Calculator", "2011 - 1994", "17"))])
    'it was [Calculator(2011 - 1994) -> 17] 17 years'
    >>> insert_calls("$0.2", [PlacedCall(1, Call("Calculator", "12/60", "0.2"))])
    '$[Calculator(12/60) -> 0.2]0.2'
    """
    pieces, last = [], 0
    for item in sorted(placed, key=lambda p: p.offset):
        if not 0 <= item.offset <= len(text):
            raise ValueError(f"offset {item.offset} is outside the text (length {len(text)})")
        pieces.append(text[last : item.offset])
        lead = " " if item.offset < len(text) and text[item.offset].isspace() else ""
        pieces.append(lead + item.call.render(markers))
        last = item.offset
    pieces.append(text[last:])
    return "".join(pieces)


def strip_calls(augmented: str, markers: Markers = DEFAULT_MARKERS) -> tuple[str, list[PlacedCall]]:
    """Remove every call from ``augmented``: the plain text and the calls at their offsets.

    The inverse of :func:`insert_calls`.

    >>> strip_calls("it was [Calculator(2011 - 1994) -> 17] 17 years")
    ('it was 17 years', [PlacedCall(offset=6, call=Call(tool='Calculator', input='2011 - 1994', result='17'))])
    """
    plain, placed, last = [], [], 0
    for match in markers.pattern.finditer(augmented):
        start = match.start()
        follows_space = match.end() < len(augmented) and augmented[match.end()].isspace()
        if follows_space and start > last and augmented[start - 1] == " ":
            start -= 1  # the space insert_calls put in front of the call
        plain.append(augmented[last:start])
        offset = sum(len(p) for p in plain)
        placed.append(PlacedCall(offset, Call(match["tool"], match["input"].strip(), match["result"])))
        last = match.end()
    plain.append(augmented[last:])
    return "".join(plain), placed
