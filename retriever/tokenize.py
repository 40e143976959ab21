"""Keyword tokenisation for BM25: code names split into words, stop words dropped, light stemming."""

from __future__ import annotations

import re

from retriever.documents import humanize

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own please same she
    should so some such than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also get give provide need want like know tell find show help""".split()  # noqa: SIM905 - readable word list
)


def stem(word: str) -> str:
    """A tiny suffix stripper (plural and -ing forms), enough to match ``videos`` to ``video``.

    >>> [stem(w) for w in ["videos", "queries", "searching", "class", "news"]]
    ['video', 'query', 'search', 'class', 'news']
    """
    if len(word) <= 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ws")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens for BM25.

    >>> tokenize("Please get the top YouTube videos for getWeatherByCity!")
    ['top', 'youtube', 'tube', 'video', 'getweatherbycity', 'weather', 'city']
    """
    words: list[str] = []
    for raw in re.findall(r"[A-Za-z0-9]+", text):
        parts = humanize(raw).split()
        words.extend(parts if len(parts) == 1 else [raw.lower(), *parts])
    return [stem(w) for w in words if w not in STOPWORDS and len(w) > 1]
