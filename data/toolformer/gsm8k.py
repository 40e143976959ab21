"""GSM8K as Toolformer ground truth: strip ``<<a=b>>`` marks, keep where the calls were.

A GSM8K solution writes ``48/2 = <<48/2=24>>24``; the human put the calculation right
before its result. :func:`strip_marks` returns the plain text and a :class:`GoldCall` per
mark: the expression, the result, and the span of characters where a call "just
before the result" may sit (the whitespace and currency signs before the result, up to
the result itself).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from data.toolformer.annotate import Document
from data.toolformer.linearise import Call

MARK = re.compile(r"<<([^<>=]*)=([^<>]*)>>")
_LEAD = " \t$"


@dataclass(frozen=True)
class GoldCall:
    """A human calculation: ``Calculator(expression) -> result`` placed in ``[start, end]``.

    ``end`` is the offset of the result's first character; ``start <= end`` is where the
    whitespace/currency run before it begins.
    """

    start: int
    end: int
    expression: str
    result: str

    def call(self, tool: str = "Calculator") -> Call:
        return Call(tool, self.expression, self.result)

    def contains(self, offset: int) -> bool:
        return self.start <= offset <= self.end


def strip_marks(text: str) -> tuple[str, list[GoldCall]]:
    """Remove the calculation marks; return the plain text and the gold calls in it.

    >>> plain, golds = strip_marks("Natalia sold 48/2 = <<48/2=24>>24 clips, $<<2*3=6>>6.")
    >>> plain
    'Natalia sold 48/2 = 24 clips, $6.'
    >>> [(g.start, g.end, g.expression, g.result) for g in golds]
    [(19, 20, '48/2', '24'), (29, 31, '2*3', '6')]
    """
    pieces, golds, last, length = [], [], 0, 0
    for match in MARK.finditer(text):
        pieces.append(text[last : match.start()])
        length += match.start() - last
        start = length
        before = "".join(pieces)
        while start > 0 and before[start - 1] in _LEAD:
            start -= 1
        golds.append(GoldCall(start, length, match[1].strip(), match[2].strip()))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces), golds


def gsm8k_document(record: Mapping[str, Any], index: int) -> tuple[Document, list[GoldCall]]:
    """Question and plain solution as one document (gold offsets shifted to match).

    >>> doc, golds = gsm8k_document({"question": "Q?", "answer": "2+2 = <<2+2=4>>4\\n#### 4"}, 7)
    >>> doc.id, doc.text, golds[0].end
    ('gsm8k-7', 'Q?\\n2+2 = 4\\n#### 4', 9)
    """
    plain, golds = strip_marks(str(record["answer"]))
    head = f"{record['question']}\n"
    shifted = [GoldCall(g.start + len(head), g.end + len(head), g.expression, g.result) for g in golds]
    return Document(f"gsm8k-{index}", head + plain), shifted


def gold_position(offsets: Sequence[tuple[int, int]], gold: GoldCall) -> int | None:
    """The first token that starts inside the gold span, else the token holding the result.

    >>> gold_position([(0, 4), (4, 5), (5, 6), (6, 8)], GoldCall(4, 5, "2+2", "4"))
    1
    >>> gold_position([(0, 4), (4, 6)], GoldCall(5, 5, "1+1", "2"))
    1
    """
    for index, (begin, _) in enumerate(offsets):
        if gold.start <= begin <= gold.end:
            return index
    for index, (begin, end) in enumerate(offsets):
        if begin <= gold.end < end:
            return index
    return None
