"""Sample candidate API calls in a text (the paper's Section 2, "Sampling API Calls").

For a tool with few-shot prompt P(x): one forward pass over ``P(x) + x`` gives
``p_i = p([ | P(x), x_1..x_{i-1})`` at every position; the top ``k`` positions with
``p_i > τ_s`` are kept; at each, ``m`` calls are sampled from the prefix
``P(x), x_1..x_{i-1}, [`` until ``]`` or ``->``. The key/value cache of that one pass
is cropped and reused for every position and sample, so P(x) is encoded once per
document. Malformed calls are dropped and duplicates removed.

``[`` and `` [`` are different tokens for BPE tokenizers; ``p_i`` sums both, and the
sample starts with `` [`` when ``x_i`` begins with whitespace (the call then reads
``= [Calculator(48/2)] 24``), else with ``[``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from data.toolformer.config import AnnotateConfig, ToolConfig
from data.toolformer.linearise import Call, Markers, parse_partial
from data.toolformer.templates import render_prompt
from toolbench.catalog.names import stable_hash

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """A sampled call (no result yet) before token ``position`` (character ``offset``)."""

    position: int
    offset: int
    call: Call
    p_open: float


@dataclass
class SamplingStats:
    positions: int = 0
    sampled: int = 0
    malformed: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def add(self, other: SamplingStats) -> None:
        for name in ("positions", "sampled", "malformed", "duplicates", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def top_positions(probs: Sequence[float], tau_s: float, k: int, first: int = 1) -> list[int]:
    """The ``k`` positions ``>= first`` with the largest ``p_i > τ_s``, in text order.

    Ties go to the earlier position.

    >>> top_positions([0.9, 0.2, 0.01, 0.3, 0.2], tau_s=0.05, k=2)
    [1, 3]
    >>> top_positions([0.9, 0.2, 0.01], tau_s=0.5, k=5)
    []
    """
    eligible = [i for i in range(first, len(probs)) if probs[i] > tau_s]
    best = sorted(eligible, key=lambda i: (-probs[i], i))[:k]
    return sorted(best)


def opener_tokens(lm: Any, markers: Markers) -> tuple[int | None, int | None]:
    """Single-token ids of ``[`` and `` [`` (``None`` where the tokenizer splits them)."""
    plain, spaced = lm.ids(markers.open), lm.ids(" " + markers.open)
    return (plain[0] if len(plain) == 1 else None), (spaced[0] if len(spaced) == 1 else None)


def stop_tokens(lm: Any, markers: Markers) -> set[int]:
    """Tokens that end a sampled call: the closing marker, the arrow, a newline."""
    cache = getattr(lm, "_stop_cache", None)
    if cache is None:
        cache = lm._stop_cache = {}
    key = (markers.close, markers.arrow)
    if key not in cache:
        cache[key] = lm.tokens_containing(markers.close, markers.arrow, "\n")
    return cache[key]


def sample_calls(lm: Any, text: str, text_ids: Sequence[int], offsets: Sequence[tuple[int, int]],
                 tool: ToolConfig, config: AnnotateConfig, *,
                 doc_key: str = "") -> tuple[list[Candidate], SamplingStats]:
    """Candidate calls of ``tool`` in one text (``text_ids``/``offsets`` from ``lm.encode``)."""
    started = time.perf_counter()
    stats = SamplingStats()
    plain, spaced = opener_tokens(lm, config.markers)
    openers = [t for t in (plain, spaced) if t is not None]
    if not openers:
        raise ValueError(f"the tokenizer has no single token for {config.markers.open!r}")
    prompt = lm.ids(render_prompt(tool.prompt, text))
    probs, cache = lm.opener_probs(list(prompt) + list(text_ids), openers, n_last=len(text_ids) + 1)
    positions = top_positions(probs[: len(text_ids)], tool.tau_s, tool.top_k)
    stats.positions = len(positions)
    found: dict[tuple[int, str], Candidate] = {}
    for i in positions:
        first = spaced if spaced is not None and text[offsets[i][0] : offsets[i][0] + 1].isspace() else plain
        first = first if first is not None else openers[0]
        seed = config.seed + int(stable_hash(f"{doc_key}:{tool.name}:{i}", 8), 16)
        samples = _draw(lm, cache, list(prompt) + list(text_ids), len(prompt) + i, first, tool, config, seed)
        for tokens in samples:
            stats.sampled += 1
            call = parse_partial(lm.decode(tokens), config.markers)
            if call is None or call.tool != tool.name:
                stats.malformed += 1
            elif (i, call.input) in found:
                stats.duplicates += 1
            else:
                found[(i, call.input)] = Candidate(i, offsets[i][0], call, probs[i])
    stats.seconds = time.perf_counter() - started
    return list(found.values()), stats


def _draw(lm: Any, cache: Any, ids: list[int], prefix_len: int, first: int, tool: ToolConfig,
          config: AnnotateConfig, seed: int) -> list[list[int]]:
    stops = stop_tokens(lm, config.markers)
    if config.prompt_cache:
        return lm.sample(cache, prefix_len, [first], tool.samples, stops, config.max_call_tokens,
                         config.temperature, seed)
    return lm.sample_uncached(ids[:prefix_len], [first], tool.samples, stops, config.max_call_tokens,
                              config.temperature, seed)
