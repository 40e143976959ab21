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

from toolbench.app.stages import STAGE_FILE, VERIFY_VERSION, is_done, mark_done, stage_dir
from toolbench.catalog.names import stable_hash
from toolbench.errors import InputError
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


class RoundsMixin:
    """The rounds of :class:`toolbench.app.training.Trainer` (see the module docstring)."""

    section: Any
    root: Path
    catalog: Any
    executor: Any
    index: Any
    k: int
    prompt: str
    model_spec: str
    model_options: dict[str, Any]
    exclude: list[Query]
    progress: Any

    # provided by the Trainer
    def sft_of(self, root: Path, sources: list[Path], settings: dict[str, Any]) -> Path: ...
    def lora(self, sft: Path, root: Path | None = None) -> Path: ...
    def _offered(self, queries: list[Query]) -> list[Query]: ...
    def _index_kind(self) -> str: ...

    def round(self, number: int, earlier: list[dict[str, Path]]) -> dict[str, Path]:
        """Round ``number`` of self-training (see :mod:`toolbench.app.rounds`)."""
        root = self.root / f"round-{number}"
        instructions = self.round_instructions(number, root, [r["instructions"] for r in earlier])
        solutions = self.round_solutions(number, root, instructions, earlier[-1]["lora"] / "adapter")
        from toolbench.store import read_json

        if not read_json(solutions / STAGE_FILE)["verified"]:
            logger.info("round %d verified no path: its data and adapter are round %d's", number, number - 1)
            return {"instructions": instructions, "solutions": solutions, "sft": earlier[-1]["sft"],
                    "lora": earlier[-1]["lora"]}
        searched = [r["solutions"] for r in earlier[1:]] + [solutions]
        data = ([earlier[0]["solutions"]] if self.section.round_data == "union" else []) + searched
        sft = self.sft_of(root, data, {"solutions": [p.name for p in data], "round": number})
        return {"instructions": instructions, "solutions": solutions, "sft": sft, "lora": self.lora(sft, root)}

    def round_instructions(self, number: int, root: Path, earlier: list[Path]) -> Path:
        s = self.section
        counts = round_counts(s.counts, s.round_instructions)
        settings = {"round": number, "counts": counts, "seed": round_seed(s.seed, number),
                    "exclude": stable_hash(canonical_json(sorted(q.query_id for q in self.exclude))),
                    "earlier": [p.name for p in earlier]}
        directory = stage_dir(root, "instructions", settings)
        if is_done(directory):
            return directory
        from data.builtin_templates import evaluation_queries, generate_builtin_instructions
        from data.instructions import write_queries
        from toolbench.catalog.queries import load_queries

        seen = [q for path in earlier for q in load_queries(path / "train.jsonl", self.catalog)]
        asked = {g: 2 * n + 4 for g, n in counts.items() if n}
        candidates = generate_builtin_instructions(asked, seed=settings["seed"], heldout_fraction=0.0,
                                                   catalog=self.catalog, exclude=[*evaluation_queries(), *self.exclude])
        queries = fresh_instructions(candidates["train"], seen, counts, number)
        if not queries:
            raise InputError(f"round {number}: no fresh training instructions", path=str(directory))
        directory.mkdir(parents=True, exist_ok=True)
        write_queries(directory, queries, self.catalog, "train")
        mark_done(directory, {"instructions": len(queries), "settings": settings})
        return directory

    def round_solutions(self, number: int, root: Path, instructions: Path, adapter: Path) -> Path:
        """The student of the round before (base + ``adapter``) plans the round's instructions."""
        s = self.section
        settings = {"round": number, "instructions": instructions.name, "k": self.k, "prompt": self.prompt,
                    "index": self._index_kind(), "solver": s.solver, "judge": s.judge, "verify": VERIFY_VERSION,
                    "student": {"spec": self.model_spec, "options": self.model_options, "adapter": adapter.parent.name}}
        directory = stage_dir(root, "solutions", settings)
        if is_done(directory):
            return directory
        from toolbench.app.common import close_model
        from toolbench.app.solutions import plan_solutions
        from toolbench.catalog.queries import load_queries
        from toolbench.models import load_chat_model

        queries = self._offered(load_queries(instructions / "train.jsonl", self.catalog))
        student = load_chat_model(self.model_spec, **{**self.model_options, "adapter": str(adapter)})
        tick = self.progress(f"train: round {number} student paths", len(queries)) if self.progress else None
        try:
            record = plan_solutions(queries, self.catalog, student, self.executor, {"prompt": self.prompt, **s.solver},
                                    directory, index=self.index, k=self.k, progress=tick, judge=s.judge,
                                    extra_config={"label": f"round-{number} student"})
        finally:
            close_model(student)
        mark_done(directory, {"paths": len(queries), "verified": len(record["kept"]), "counts": record["counts"],
                              "llm_calls": record["llm_calls"], "settings": settings})
        return directory

