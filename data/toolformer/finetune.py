"""Language-modelling examples from the augmented corpus C* (trained by :mod:`toolbench.training.lora`).

The paper fine-tunes on C* with the ordinary LM objective: every token of the augmented
text carries loss. ``mask_results`` (off by default) removes the loss from the tool
results, which at inference come from the tool, not the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from data.toolformer.linearise import DEFAULT_MARKERS, Markers

IGNORE_INDEX = -100


def result_spans(text: str, markers: Markers = DEFAULT_MARKERS) -> list[tuple[int, int]]:
    """Character spans of the results inside the calls of ``text``.

    >>> result_spans("so [Calculator(2+2) -> 4] 4 apples")
    [(23, 24)]
    """
    return [m.span("result") for m in markers.pattern.finditer(text) if m["result"]]


def lm_example(text: str, tokenizer: Any, *, mask_results: bool = False, markers: Markers = DEFAULT_MARKERS,
               add_eos: bool = True) -> dict[str, list[int]]:
    """``{"input_ids", "labels"}`` for one augmented text."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), enc["offset_mapping"]
    labels = list(ids)
    if mask_results:
        spans = result_spans(text, markers)
        labels = [IGNORE_INDEX if any(s <= b < e for s, e in spans) else t
                  for t, (b, _) in zip(ids, offsets, strict=True)]
    if add_eos and tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
        labels.append(tokenizer.eos_token_id)
    return {"input_ids": ids, "labels": labels}


def corpus_examples(records: Iterable[dict[str, Any]], tokenizer: Any, *, only_with_calls: bool = False,
                    mask_results: bool = False, markers: Markers = DEFAULT_MARKERS) -> list[dict[str, list[int]]]:
    """LM examples of C* records (``augmented_text``); optionally only those with calls."""
    return [lm_example(r["augmented_text"], tokenizer, mask_results=mask_results, markers=markers)
            for r in records if r.get("calls") or not only_with_calls]
