"""The win-rate judge: a candidate run against a reference run on the same queries.

Per query and judging, pass labels decide first (Solved beats Unsure beats Unsolved, as
ToolEval intends); equal labels go to the LLM, asked in both orders so position bias
cancels: the candidate wins when both orders prefer it, loses when both prefer the
reference, and ties otherwise. Identical answers tie without an LLM call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from evaluator.describe import answer_block, same_answer
from evaluator.pass_rate import PassConfig, judge_pass
from evaluator.structured import BETTER_ANSWER, StructuredAsker
from toolbench.errors import InputError
from toolbench.types import Trajectory, Verdict, VerdictLabel

logger = logging.getLogger(__name__)

_RANK = {VerdictLabel.SOLVED: 3, VerdictLabel.UNSURE: 2, VerdictLabel.UNJUDGED: 1}


def pass_rank(label: str) -> int:
    """Solved 3, Unsure 2, Unjudged 1 (an answer no judge looked at still beats none, as in
    ToolEval), anything else (Unsolved, Error) 0.

    >>> pass_rank("Solved"), pass_rank("Unsure"), pass_rank("Unjudged"), pass_rank("Unsolved"), pass_rank("Error")
    (3, 2, 1, 0, 0)
    """
    return _RANK.get(label, 0)


def decide_by_labels(candidate: str, reference: str) -> str | None:
    """``win``/``loss`` when the pass labels differ in rank, else ``None`` (ask the LLM).

    >>> decide_by_labels("Solved", "Unsolved"), decide_by_labels("Unsolved", "Unsure")
    ('win', 'loss')
    >>> decide_by_labels("Solved", "Solved") is None
    True
    """
    a, b = pass_rank(candidate), pass_rank(reference)
    if a == b:
        return None
    return VerdictLabel.WIN if a > b else VerdictLabel.LOSS


def combine_orders(first: int | None, second: int | None) -> str:
    """Combine the two orders' choices (index of the better answer) into win/tie/loss.

    ``first`` was asked as (candidate, reference), ``second`` as (reference, candidate).

    >>> combine_orders(0, 1), combine_orders(1, 0), combine_orders(0, 0), combine_orders(None, 1)
    ('win', 'loss', 'tie', 'tie')
    """
    prefers_candidate = [first == 0, second == 1]
    prefers_reference = [first == 1, second == 0]
    if all(prefers_candidate):
        return VerdictLabel.WIN
    if all(prefers_reference):
        return VerdictLabel.LOSS
    return VerdictLabel.TIE


def pair_up(candidates: Sequence[Trajectory], references: Sequence[Trajectory]) -> list[tuple[Trajectory, Trajectory]]:
    """Pairs on shared query ids, in the candidate run's order; no shared id is an error."""
    refs = {t.query_id: t for t in references}
    pairs = [(c, refs[c.query_id]) for c in candidates if c.query_id in refs]
    missing = len(candidates) - len(pairs)
    if not pairs:
        raise InputError("the run and the reference share no query ids")
    if missing:
        logger.warning("win rate: %d candidate queries have no reference answer and are skipped", missing)
    return pairs


def _labels(verdicts: Sequence[Verdict]) -> dict[tuple[int, str], str]:
    return {(v.judging, v.query_id): v.label for v in verdicts}


def judge_win(
    candidates: Sequence[Trajectory],
    references: Sequence[Trajectory],
    asker: StructuredAsker | None,
    *,
    judgings: int = 1,
    candidate_pass: Sequence[Verdict] | None = None,
    reference_pass: Sequence[Verdict] | None = None,
    pass_config: PassConfig | None = None,
) -> list[Verdict]:
    """Win/tie/loss verdicts of ``candidates`` against ``references`` for each judging."""
    pairs = pair_up(candidates, references)
    config = pass_config or PassConfig(judgings=judgings)
    cand = _labels(candidate_pass or judge_pass([c for c, _ in pairs], asker, config))
    ref = _labels(reference_pass or judge_pass([r for _, r in pairs], asker, config))
    jobs = [(judging, c, r) for judging in range(judgings) for c, r in pairs]

    def run(job: tuple[int, Trajectory, Trajectory]) -> Verdict:
        judging, c, r = job
        key = (judging % config.judgings, c.query_id)
        unjudged = VerdictLabel.UNJUDGED
        return judge_pair(asker, c, r, cand.get(key, unjudged), ref.get(key, unjudged), judging)

    return asker.map(run, jobs) if asker is not None else [run(j) for j in jobs]


def judge_pair(
    asker: StructuredAsker | None, candidate: Trajectory, reference: Trajectory, cand_label: str, ref_label: str,
    judging: int = 0,
) -> Verdict:
    """One win verdict for one query."""
    raw: dict[str, Any] = {"candidate_pass": cand_label, "reference_pass": ref_label}
    qid = candidate.query_id
    decided = decide_by_labels(cand_label, ref_label)
    if decided is not None:
        reason = f"pass labels decide: {cand_label} vs {ref_label}"
        return Verdict(qid, decided, reason, "pass-labels", raw, judging, by_rule=True)
    if same_answer(candidate, reference):
        return Verdict(qid, VerdictLabel.TIE, "identical answers", "rules", raw, judging, by_rule=True)
    if asker is None:
        reason = "equal pass labels and no judge model: counted as a tie"
        return Verdict(qid, VerdictLabel.TIE, reason, "rules", raw, judging)
    a, b = answer_block(candidate), answer_block(reference)
    first = asker.ask(BETTER_ANSWER, {"query": candidate.query, "answer_0": a, "answer_1": b}, judging=judging)
    second = asker.ask(BETTER_ANSWER, {"query": candidate.query, "answer_0": b, "answer_1": a}, judging=judging)
    raw["orders"] = [
        {"order": "candidate,reference", "index": first.value, "reason": first.reason, "error": first.error},
        {"order": "reference,candidate", "index": second.value, "reason": second.reason, "error": second.error},
    ]
    label = combine_orders(first.value, second.value)
    if first.error or second.error:
        raw["error"] = VerdictLabel.ERROR
    by_order = {VerdictLabel.WIN: first.reason, VerdictLabel.LOSS: second.reason}
    reason = by_order.get(label, "the two orders disagree")
    desc = asker.judge_id
    return Verdict(qid, label, reason, f"{desc.get('backend', '')}:{desc.get('name', '')}", raw, judging)
