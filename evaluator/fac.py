"""The final-answer-only judge (FAC): the LLM sees the query and the final answer, nothing else.

Rules still come first (no Finish, empty answer, give-up → Unsolved without a call).
"""

from __future__ import annotations

from collections.abc import Sequence

from evaluator.pass_rate import rule_verdict
from evaluator.structured import FAC, StructuredAsker
from toolbench.types import Trajectory, Verdict, VerdictLabel


def judge_fac(trajectories: Sequence[Trajectory], asker: StructuredAsker | None, judgings: int = 1) -> list[Verdict]:
    """Solved / Unsolved verdicts from the final answer alone, for each judging."""
    verdicts = []
    for judging in range(judgings):
        for t in trajectories:
            verdicts.append(_one(asker, t, judging))
    return verdicts


def _one(asker: StructuredAsker | None, trajectory: Trajectory, judging: int) -> Verdict:
    by_rule = rule_verdict(trajectory, judging)
    if by_rule is not None:
        return by_rule
    if asker is None:
        return Verdict(trajectory.query_id, VerdictLabel.UNJUDGED, "no judge model given", "rules", None, judging)
    answer = asker.ask(FAC, {"query": trajectory.query, "answer": trajectory.final_answer}, judging=judging)
    desc = asker.judge_id
    raw = {"value": answer.value, "reason": answer.reason, "error": answer.error, "reply": answer.raw}
    label = answer.value if answer.value is not None else VerdictLabel.ERROR
    judge = f"{desc.get('backend', '')}:{desc.get('name', '')}"
    return Verdict(trajectory.query_id, label, answer.reason or answer.error, judge, raw, judging)
