"""Decoding with tools (the paper's Section 3 inference procedure).

Greedy decoding, except that a call starts as soon as the opening marker is among the
``top_k`` most likely next tokens (k = 10 in the paper). The call is generated until
``->`` (or ``]``); the tool then runs through a :class:`~data.toolformer.tools.ToolRunner`,
``[Tool(input) -> result]`` replaces what the model wrote, and decoding goes on. At most
``max_calls`` calls per output (1 by default). A malformed call or a failing tool is
dropped: decoding resumes from just before the marker with calls disabled at that step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from data.toolformer.config import DecodeConfig
from data.toolformer.linearise import DEFAULT_MARKERS, Call, Markers, parse_partial
from data.toolformer.sampling import opener_tokens, stop_tokens

logger = logging.getLogger(__name__)


@dataclass
class Generation:
    """The generated text (after the prompt) and the calls made, with their offsets in it."""

    text: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0
    tokens: int = 0


def generate_with_tools(lm: Any, runner: Any, prompt: str, config: DecodeConfig | None = None,
                        markers: Markers = DEFAULT_MARKERS, context: Mapping[str, Any] | None = None) -> Generation:
    """Continue ``prompt`` greedily, calling tools as described in the module docstring."""
    config = config or DecodeConfig()
    openers = [t for t in opener_tokens(lm, markers) if t is not None]
    stops, eos = stop_tokens(lm, markers), lm.eos_ids
    state = lm.start()
    top = lm.feed(state, lm.ids(prompt), config.top_k)
    start, made, dropped, blocked = len(state.ids), 0, 0, False
    while len(state.ids) - start < config.max_new_tokens:
        opener = next((t for t in top if t in openers), None)
        if opener is not None and made < config.max_calls and not blocked:
            made += 1
            new_top = _call(lm, runner, state, opener, top, stops | eos, config, markers, context)
            blocked = new_top is None
            dropped += blocked
            top = top if new_top is None else new_top
            continue
        blocked = False
        if top[0] in eos:
            break
        top = lm.feed(state, [top[0]], config.top_k)
    text = lm.decode(state.ids[start:])
    return Generation(text, _calls_in(text, markers), dropped, len(state.ids) - start)


def _call(lm: Any, runner: Any, state: Any, opener: int, top: list[int], stops: set[int], config: DecodeConfig,
          markers: Markers, context: Mapping[str, Any] | None) -> list[int] | None:
    """Generate one call after ``opener``, run it, splice its linear form; ``None`` if dropped."""
    mark = len(state.ids)
    nxt = lm.feed(state, [opener], config.top_k)
    body: list[int] = []
    for _ in range(config.max_call_tokens):
        body.append(nxt[0])
        if nxt[0] in stops:
            break
        nxt = lm.feed(state, [nxt[0]], config.top_k)
    call = parse_partial(lm.decode(body), markers)
    result = runner.run(call, context) if call is not None else None
    lm.rewind(state, mark)
    if result is None:
        logger.debug("dropped call %r", lm.decode(body))
        return None
    lead = " " if lm.decode([opener]).startswith(" ") else ""
    return lm.feed(state, lm.ids(lead + Call(call.tool, call.input, result).render(markers)), config.top_k)


def _calls_in(text: str, markers: Markers) -> list[dict[str, Any]]:
    from data.toolformer.linearise import strip_calls

    _, placed = strip_calls(text, markers)
    return [{"offset": p.offset, "tool": p.call.tool, "input": p.call.input, "result": p.call.result}
            for p in placed]
