"""Annotate one document: sample → execute → score → filter → augmented text.

Scoring follows the paper exactly: the call is *prepended* to the text (its linear form
followed by :data:`PREFIX_SEPARATOR`), the loss is weighted over the ``window`` tokens
from the call's position, and ``L- = min(L(no call), L(call without result))``. All
three losses of every candidate come from one batched
:meth:`~data.toolformer.scoring.CausalLM.weighted_losses` call per document.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from data.toolformer.config import AnnotateConfig
from data.toolformer.filtering import Scored, best_per_position, loss_weights
from data.toolformer.linearise import Call, Markers, PlacedCall, insert_calls
from data.toolformer.sampling import Candidate, SamplingStats, sample_calls

logger = logging.getLogger(__name__)

PREFIX_SEPARATOR = "\n"


@dataclass(frozen=True)
class Document:
    """One text to annotate; ``context`` feeds tool arguments such as the calendar's date."""

    id: str
    text: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Annotated:
    """The outcome for one document (see :func:`annotated_record` for its JSONL form)."""

    document: Document
    tokens: int
    kept: list[Scored]
    scored: list[Scored]
    offsets: dict[int, int]
    sampling: SamplingStats
    executed: int = 0
    failed: int = 0
    seconds: float = 0.0

    def augmented_text(self, markers: Markers) -> str:
        placed = [PlacedCall(self.offsets[s.position], s.call) for s in self.kept]
        return insert_calls(self.document.text, placed, markers)


def call_prefix(lm: Any, call: Call, markers: Markers, *, with_result: bool) -> tuple[int, ...]:
    """Token ids of the call as a prefix of the text."""
    return tuple(lm.ids(call.render(markers, with_result=with_result) + PREFIX_SEPARATOR))


def loss_requests(lm: Any, placed: Sequence[tuple[int, Call]], markers: Markers
                  ) -> list[tuple[tuple[int, ...], int]]:
    """Three scorer requests per ``(position, call)``: call with result, no call, call without result."""
    return [request for position, call in placed for request in (
        (call_prefix(lm, call, markers, with_result=True), position),
        ((), position),
        (call_prefix(lm, call, markers, with_result=False), position))]


def score_calls(lm: Any, text_ids: Sequence[int], placed: Sequence[tuple[int, Call]], config: AnnotateConfig
                ) -> list[Scored]:
    """L+, L(no call) and L(call without result) of each ``(position, executed call)``."""
    requests = loss_requests(lm, placed, config.markers)
    weights = loss_weights(config.window, config.weight_step)
    losses = lm.weighted_losses(text_ids, requests, weights, config.batch_tokens) if requests else []
    return [Scored(position, call, *losses[3 * n : 3 * n + 3]) for n, (position, call) in enumerate(placed)]


def annotate_document(lm: Any, runner: Any, document: Document, config: AnnotateConfig) -> Annotated:
    """Sample, execute, score and filter the calls of every configured tool in one document."""
    started = time.perf_counter()
    text_ids, offsets = lm.encode(document.text)
    if len(text_ids) > config.max_text_tokens:
        logger.warning("document %s: only the first %d of %d tokens get calls", document.id,
                       config.max_text_tokens, len(text_ids))
        text_ids, offsets = text_ids[: config.max_text_tokens], offsets[: config.max_text_tokens]
    stats, candidates = SamplingStats(), []
    for tool in config.tools:
        found, tool_stats = sample_calls(lm, document.text, text_ids, offsets, tool, config, doc_key=document.id)
        candidates += found
        stats.add(tool_stats)
    executed = execute_candidates(runner, candidates, document.context)
    scored = score_calls(lm, text_ids, [(c.position, c.call) for c in executed], config)
    kept = best_per_position(scored, {t.name: t.tau_f for t in config.tools})
    return Annotated(document, len(text_ids), kept, scored, {c.position: c.offset for c in candidates}, stats,
                     executed=len(executed), failed=len(candidates) - len(executed),
                     seconds=time.perf_counter() - started)


def execute_candidates(runner: Any, candidates: Sequence[Candidate], context: Mapping[str, Any]) -> list[Candidate]:
    """The candidates whose call ran, each with its result filled in (failed calls are dropped)."""
    done = []
    for candidate in candidates:
        result = runner.run(candidate.call, context)
        if result is not None:
            call = Call(candidate.call.tool, candidate.call.input, result)
            done.append(Candidate(candidate.position, candidate.offset, call, candidate.p_open))
    return done


def annotated_record(result: Annotated, markers: Markers) -> dict[str, Any]:
    """The C* record: original and augmented text, kept calls with statistics, all scores."""
    def row(s: Scored) -> dict[str, Any]:
        return {**s.to_dict(), "offset": result.offsets[s.position], "token_index": s.position}

    s = result.sampling
    return {
        "id": result.document.id,
        "text": result.document.text,
        "augmented_text": result.augmented_text(markers),
        "calls": [row(k) for k in result.kept],
        "candidates": [row(c) for c in sorted(result.scored, key=lambda c: (c.position, c.call.tool, c.call.input))],
        "stats": {
            "tokens": result.tokens, "positions": s.positions, "sampled": s.sampled, "malformed": s.malformed,
            "duplicates": s.duplicates, "executed": result.executed, "failed": result.failed,
            "kept": len(result.kept), "sampling_seconds": round(s.seconds, 3), "seconds": round(result.seconds, 3),
        },
    }
