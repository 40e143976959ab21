"""Rounds of self-training (``[train] rounds``): the tuned student makes its own training data.

Round 0 is the ordinary training (gold call chains or a teacher's verified paths → SFT →
LoRA, in ``OUT/train/``). Round ``k`` (1 … ``rounds``), in ``OUT/train/round-k/``::

    instructions-<hash>/   round_instructions FRESH template instructions: another seed
                           (seed + 1000·k), never an evaluation instruction, never one an
                           earlier round (or round 0) trained on (same text or same calls)
    solutions-<hash>/      the student of round k−1 (base + its adapter) plans them with the
                           [train] solver (DFSDT by default); verified.json keeps the paths
                           that check out (evaluator.verify)
    sft-<hash>/            the union of round 0's paths (round_data = "union"; "search"
                           leaves them out) and the verified paths of rounds 1 … k
    lora-<hash>/           LoRA from the base model on that union

Every stage is content-hashed like round 0's, so a killed run resumes in the round it was
in, and with ``rounds = 0`` nothing here runs and round 0's stage names do not change.
``OUT/train/rounds.json`` sums every round up (instructions, verified paths, reasons, LLM
calls, examples, training loss).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolbench.jsonutil import canonical_json
from toolbench.types import Query

logger = logging.getLogger(__name__)

ROUND_SEED_STRIDE = 1000
ROUND_DATA = ("union", "search")


def round_counts(counts: dict[str, int], total: int) -> dict[str, int]:
    """``total`` instructions split over the groups in proportion to ``counts`` (largest
    remainders first, ties in group order).

    >>> round_counts({"G1": 200, "G2": 250, "G3": 250}, 12)
    {'G1': 4, 'G2': 4, 'G3': 4}
    >>> round_counts({"G1": 6, "G2": 2}, 5)
    {'G1': 4, 'G2': 1}
    """
    weight = sum(counts.values())
    exact = {g: total * n / weight for g, n in counts.items()}
    out = {g: int(v) for g, v in exact.items()}
    for group in sorted(exact, key=lambda g: out[g] - exact[g])[: total - sum(out.values())]:
        out[group] += 1
    return out


def round_seed(seed: int, round_number: int) -> int:
    """The template seed of a round.

    >>> round_seed(0, 2)
    2000
    """
    return seed + ROUND_SEED_STRIDE * round_number


def instruction_key(query: Query) -> tuple[str, str]:
    """What makes two instructions the same: the normalised text, or the gold calls.

    >>> instruction_key(Query("1", "Is 7  prime?", extra={"gold_calls": [{"name": "is_prime"}]}))
    ('is 7 prime', '[{"name":"is_prime"}]')
    """
    from data.builtin_templates import normalise

    return normalise(query.query), canonical_json(query.extra.get("gold_calls") or [])


def fresh_instructions(candidates: Sequence[Query], earlier: Sequence[Query], counts: dict[str, int],
                       round_number: int) -> list[Query]:
    """The first ``counts[group]`` candidates of each group that no earlier instruction
    shares a text or a call chain with, renamed ``r<k>-<id>`` (ids stay unique over rounds)."""
    texts = {instruction_key(q)[0] for q in earlier}
    chains = {instruction_key(q)[1] for q in earlier}
    taken: dict[str, int] = {}
    out = []
    for query in candidates:
        text, chain = instruction_key(query)
        group = query.group or "?"
        if text in texts or chain in chains or taken.get(group, 0) >= counts.get(group, 0):
            continue
        texts.add(text)
        chains.add(chain)
        taken[group] = taken.get(group, 0) + 1
        query.query_id = f"r{round_number}-{query.query_id}"
        query.extra["round"] = round_number
        out.append(query)
    short = {g: n - taken.get(g, 0) for g, n in counts.items() if taken.get(g, 0) < n}
    if short:
        logger.warning("round %d: fewer fresh instructions than asked, missing %s", round_number, short)
    return out


def round_summary(rounds: Sequence[dict[str, Path]]) -> list[dict[str, Any]]:
    """One row per round: each stage's ``stage.json`` (its settings left out) by stage name."""
    from toolbench.store import read_json

    rows = []
    for number, stages in enumerate(rounds):
        row: dict[str, Any] = {"round": number}
        for name, directory in stages.items():
            done = directory / "stage.json"
            if done.is_file():
                row[name] = {k: v for k, v in read_json(done).items() if k != "settings"}
        rows.append(row)
    return rows
