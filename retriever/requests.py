"""Split an instruction into the requests it makes (rule-based; no model needed).

A multi-tool instruction ("Find hotels in Rome. Also, convert 100 USD to EUR and then
check the weather.") asks for several things; retrieval for each request separately
finds tools that one averaged query vector misses. The rules:

1. sentences end at ``.``, ``!``, ``?`` or ``;`` followed by a space (abbreviations such as
   "e.g." and "Mr." and decimals such as "3.5" are kept whole);
2. a sentence is cut before a clause that starts a new request: "then", "also",
   "additionally", "as well as", "plus", or "and" followed by a request verb
   ("and get …", "and also …", "and I need …"), so lists of nouns ("clubs, managers and
   referees") stay together;
3. leading connectors ("Also,", "Additionally,", "Then") are dropped, and pleasantries and
   clauses without a content word are dropped.

Context sentences without a request cue ("I'm planning a party.") are not requests but
remain part of the whole instruction, which is retrieved for as well.
"""

from __future__ import annotations

import re

from retriever.tokenize import tokenize

REQUEST_VERBS = (
    "get", "fetch", "find", "provide", "give", "show", "tell", "list", "search", "look", "check",
    "recommend", "suggest", "send", "translate", "convert", "calculate", "compute", "include",
    "retrieve", "share", "display", "generate", "create", "make", "book", "track", "download",
    "add", "compare", "verify", "validate", "analyze", "analyse", "summarize", "detect", "predict",
    "identify", "obtain", "gather", "collect", "explore", "lookup", "let", "help", "inform",
    "please", "can", "could", "would", "i", "we", "also", "then", "what", "how", "which", "who", "when", "where",
)
_VERBS = "|".join(REQUEST_VERBS)
CUES = (
    "please", "can you", "could you", "would you", "help me", "let me know", "want", "like", "need",
    "curious", "interested", "wondering", "know", "love", "require", "looking for",
)
# A clause boundary: the cut happens at the start of the group, the connector stays with the new clause.
_CLAUSE = re.compile(
    rf"(?<!\band),?\s+(?=(?:and\s+)?(?:then|also|additionally|furthermore|moreover|as well as|plus)\b[\s,])"
    rf"|,?\s+(?=and\s+(?:{_VERBS})\b)",
    re.IGNORECASE,
)
_ABBREVIATIONS = ("e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "vs", "no", "inc", "ltd", "jr", "sr", "u.s")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_CONNECTOR = re.compile(
    r"^(?:and\s+|but\s+|so\s+)?(?:then|also|additionally|furthermore|moreover|besides|in addition|"
    r"as well as|plus|lastly|finally|next|after that|afterwards)\b[\s,:]*",
    re.IGNORECASE,
)
_LEADING_AND = re.compile(r"^(?:and|but|so)\b[\s,]*", re.IGNORECASE)
_PLEASANTRY = re.compile(r"^(?:thank|thanks|i appreciate|appreciate|cheers|looking forward)", re.IGNORECASE)
_CUE = re.compile(
    rf"\?|\b(?:{'|'.join(v for v in REQUEST_VERBS if v not in ('i', 'we'))}|{'|'.join(CUES)})\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """Sentences of ``text``; abbreviations and decimals do not end a sentence.

    >>> sentences("Get the U.S. weather, e.g. for Boston. Convert 3.5 USD! Why? Ok; done")
    ['Get the U.S. weather, e.g. for Boston.', 'Convert 3.5 USD!', 'Why?', 'Ok;', 'done']
    """
    out: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if out and _ends_with_abbreviation(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        elif piece:
            out.append(piece)
    return out


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(maxsplit=1)[-1].lower().rstrip(".")
    return sentence.endswith(".") and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()))


def clauses(sentence: str) -> list[str]:
    """Cut a sentence before clauses that start a new request.

    >>> clauses("Find hotels in Rome and then check the weather, also convert 100 USD")
    ['Find hotels in Rome', 'and then check the weather', 'also convert 100 USD']
    >>> clauses("Show clubs, managers and referees and get his transfers")
    ['Show clubs, managers and referees', 'and get his transfers']
    """
    return [part.strip() for part in _CLAUSE.split(sentence) if part.strip()]


def strip_connector(clause: str) -> str:
    """Drop a leading connector ("Also,", "And then", "Additionally,").

    >>> strip_connector("And then, check the weather"), strip_connector("Also, convert it")
    ('check the weather', 'convert it')
    """
    return _LEADING_AND.sub("", _CONNECTOR.sub("", clause.strip())).strip()


def is_request(clause: str) -> bool:
    """Whether a clause asks for something (a question or a request cue), not only context.

    >>> is_request("I'm planning a party for my friend."), is_request("Can you find cocktails?")
    (False, True)
    >>> is_request("Thank you for your help!"), is_request("the hourly forecast for Paris")
    (False, False)
    """
    return not _PLEASANTRY.match(clause) and bool(_CUE.search(clause)) and len(tokenize(clause)) >= 1


def split_requests(text: str) -> list[str]:
    """The requests of an instruction, in order; context and pleasantries dropped.

    An instruction with no recognisable request gives ``[]`` (retrieve for the whole).

    >>> split_requests("I'm planning a party. Can you suggest cocktails? Also, find news about "
    ...                "birthdays and then translate the best one to French. Thank you!")
    ['Can you suggest cocktails?', 'find news about birthdays', 'translate the best one to French.']
    >>> split_requests("Give me the weather as well as the air quality in Paris")
    ['Give me the weather', 'the air quality in Paris']
    >>> split_requests("Weather in Paris")
    []
    """
    requests: list[str] = []
    for sentence in sentences(text):
        first, *rest = clauses(sentence) or [""]
        if is_request(strip_connector(first)):
            requests.append(strip_connector(first))
        # a clause cut at a connector is a request of its own when it holds a content word
        requests.extend(c for c in map(strip_connector, rest) if tokenize(c) and not _PLEASANTRY.match(c))
    return requests
