"""The observation text a model sees: ToolBench's ``{"error": ..., "response": ...}``, truncated.

ToolBench serialises every tool result as ``json.dumps({"error": e, "response": r})``;
we keep that shape (so ToolLLaMA-style models see what they were trained on) but keep the
truncated text valid JSON: a response that does not fit becomes its JSON text, cut, with
a ``...`` marker.
"""

from __future__ import annotations

import json
from typing import Any

from toolbench.types import Observation, ObservationStatus, Provenance

DEFAULT_MAX_CHARS = 1024
TRUNCATION_MARK = "..."


def _dumps(error: str, response: Any) -> str:
    return json.dumps({"error": error, "response": response}, ensure_ascii=False, default=str)


def observation_content(response: Any, error: str = "", *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """``{"error": error, "response": response}`` as JSON of at most ``max_chars`` characters.

    >>> observation_content({"result": 42})
    '{"error": "", "response": {"result": 42}}'
    >>> text = observation_content("x" * 100, max_chars=40)
    >>> len(text) <= 40, text
    (True, '{"error": "", "response": "xxxxxxxx..."}')
    >>> json.loads(observation_content(list(range(100)), max_chars=60))["response"][-3:]
    '...'
    """
    full = _dumps(error, response)
    if max_chars <= 0 or len(full) <= max_chars:
        return full
    if len(error) > max_chars // 2:
        error = error[: max_chars // 2] + TRUNCATION_MARK
    text = response if isinstance(response, str) else json.dumps(response, ensure_ascii=False, default=str)
    return _fit(error, text, max_chars)


def _fit(error: str, text: str, max_chars: int) -> str:
    """The longest prefix of ``text`` (plus the mark) whose serialised form fits."""
    low, high = 0, len(text)
    best = _dumps(error, TRUNCATION_MARK)
    while low <= high:
        middle = (low + high) // 2
        candidate = _dumps(error, text[:middle] + TRUNCATION_MARK)
        if len(candidate) <= max_chars:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def error_observation(
    call_id: str,
    name: str,
    error: str,
    status: ObservationStatus,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    provenance: Provenance = Provenance.NONE,
    seconds: float = 0.0,
    coercions: list[str] | None = None,
) -> Observation:
    """An observation for a call that failed (unknown tool, bad input, tool error, timeout)."""
    return Observation(
        call_id=call_id,
        content=observation_content("", error, max_chars=max_chars),
        error=error,
        status=status,
        provenance=provenance,
        name=name,
        seconds=seconds,
        coercions=list(coercions or []),
    )


def ok_observation(
    call_id: str,
    name: str,
    response: Any,
    provenance: Provenance,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    seconds: float = 0.0,
    coercions: list[str] | None = None,
) -> Observation:
    """An observation for a call that returned ``response``."""
    return Observation(
        call_id=call_id,
        content=observation_content(response, "", max_chars=max_chars),
        status=ObservationStatus.OK,
        provenance=provenance,
        name=name,
        response=response,
        seconds=seconds,
        coercions=list(coercions or []),
    )
