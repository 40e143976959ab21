"""ToolBench-compatible name normalisation and function-name construction.

ToolBench turns a RapidAPI tool "Simple YouTube Search" with an API "Search" into the
OpenAI function name ``search_for_simple_youtube_search``. Models fine-tuned on ToolBench
(ToolLLaMA) expect exactly these names, so we reproduce the rules here. Unlike ToolBench
we never cut a long name silently (``name[-64:]``): a name over 64 characters is
shortened with a stable hash suffix that the catalog's name map records.
"""

from __future__ import annotations

import hashlib
import re

FUNCTION_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_FUNCTION_NAME = 64
_NOT_WORD = re.compile(r"[^\u4e00-\u9fa5a-zA-Z0-9_]")
_RESERVED = frozenset({"from", "class", "return", "false", "true", "id", "and"})


def standardize(text: str) -> str:
    """Lower-case ``text`` and reduce it to ``[a-z0-9_]`` the way ToolBench does.

    Runs of other characters become one ``_``, leading/trailing ``_`` are dropped, and a
    leading digit gets a ``get_`` prefix (CJK characters are kept, as in ToolBench).

    >>> standardize("Simple YouTube Search")
    'simple_youtube_search'
    >>> standardize("/open-api/v1.0/indoor-air-quality/iot/")
    'open_api_v1_0_indoor_air_quality_iot'
    >>> standardize("123 Movies")
    'get_123_movies'
    """
    text = _NOT_WORD.sub("_", text)
    text = re.sub(r"_+", "_", text).lower().strip("_")
    if text and text[0].isdigit():
        text = "get_" + text
    return text


def change_name(name: str) -> str:
    """Prefix names that are Python keywords or JSON literals with ``is_`` (ToolBench rule).

    >>> change_name("from"), change_name("id"), change_name("query")
    ('is_from', 'is_id', 'query')
    """
    return "is_" + name if name in _RESERVED else name


def parameter_name(raw: str) -> str:
    """The function-argument name ToolBench uses for a RapidAPI parameter.

    >>> parameter_name("Content-Type"), parameter_name("id"), parameter_name("q")
    ('content_type', 'is_id', 'q')
    """
    return change_name(standardize(raw)) or "param"


def toolbench_function_name(api_name: str, tool_name: str) -> str:
    """``{api}_for_{tool}`` before any length handling (may exceed 64 characters).

    >>> toolbench_function_name("Search", "Simple YouTube Search")
    'search_for_simple_youtube_search'
    """
    api = change_name(standardize(api_name)) or "api"
    return f"{api}_for_{standardize(tool_name) or 'tool'}"


def sanitize_function_name(name: str) -> str:
    """Replace characters OpenAI rejects in function names with ``_``.

    >>> sanitize_function_name("math.factorial")
    'math_factorial'
    """
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name) or "function"


def stable_hash(text: str, length: int = 8) -> str:
    """A short, stable hex digest (sha1) of ``text``.

    >>> stable_hash("abc")
    'a9993e36'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def fit_function_name(name: str, key: str) -> str:
    """Make ``name`` valid and at most 64 characters; shorten with a hash of ``key``.

    Short valid names are returned unchanged; long ones keep their first 55 characters
    and end with ``_`` plus an 8-character hash, so distinct keys stay distinct.

    >>> fit_function_name("search_for_tool", "k")
    'search_for_tool'
    >>> long = fit_function_name("x" * 80, "k")
    >>> len(long), long[-9:]
    (64, '_13fbd79c')
    """
    name = sanitize_function_name(name)
    if len(name) <= MAX_FUNCTION_NAME:
        return name
    return f"{name[: MAX_FUNCTION_NAME - 9]}_{stable_hash(key)}"
