"""ToolEval's rules: decide a pass verdict without any LLM call where the answer is missing.

A trajectory is Unsolved by rule when it never called ``Finish`` (StableToolBench:
``'name': 'Finish'`` not in the final step), gave up (``give_up_and_restart``), or
finished with an empty final answer. Everything else goes to the LLM judge.
"""

from __future__ import annotations

from toolbench.calls import GIVE_UP
from toolbench.types import FinishReason, Trajectory

_REASONS = {
    FinishReason.NO_FINISH: "no Finish call",
    FinishReason.GIVE_UP: "gave up (give_up_and_restart)",
    FinishReason.BUDGET: "no Finish call (budget exhausted)",
    FinishReason.ERROR: "no Finish call (the run ended with an error)",
}


def rule_reason(trajectory: Trajectory) -> str | None:
    """Why the trajectory is Unsolved by rule, or ``None`` when the LLM must judge.

    >>> t = Trajectory("1", "q", "CoT@1", finish_reason=FinishReason.GIVE_ANSWER, final_answer="Paris")
    >>> rule_reason(t) is None
    True
    >>> rule_reason(Trajectory("1", "q", "CoT@1"))
    'no Finish call'
    >>> rule_reason(Trajectory("1", "q", "CoT@1", finish_reason=FinishReason.GIVE_ANSWER, final_answer=" "))
    'empty final answer'
    """
    if trajectory.finish_reason != FinishReason.GIVE_ANSWER:
        return _REASONS.get(trajectory.finish_reason, f"finish reason {trajectory.finish_reason.value}")
    if not trajectory.final_answer.strip():
        return "empty final answer"
    if GIVE_UP in trajectory.final_answer:
        return "gave up (give_up_and_restart in the final answer)"
    return None

