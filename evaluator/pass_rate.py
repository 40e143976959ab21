"""The pass-rate judge (ToolEval / StableToolBench SoPR semantics; docs/evaluation.md).

Per trajectory and judging: rules first (no Finish, empty answer, give-up → Unsolved,
no LLM call); otherwise the judge labels the final answer Solved / Unsolved / Unsure and,
when Unsure, looks at the whole solution path. With ``solvability_check`` (the original
ToolEval variant) an answer that is not Solved is also checked for task solvability and
the verdict's ``raw["passed"]`` holds ToolEval's Passed / Failed / Unsure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.describe import answer_details
from evaluator.rules import rule_reason
from evaluator.structured import CHECK_ANSWER, PARSE_ANSWER, TASK_SOLVABLE, Answer, StructuredAsker
from toolbench.config import Config, require
from toolbench.types import Trajectory, Verdict, VerdictLabel

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class PassConfig(Config):
    """Options of the pass-rate judge."""

    judgings: int = 1
    solvability_check: bool = False
    obs_chars: int = 1000
    details_chars: int = 12000

    def validate(self) -> None:
        require(self.judgings >= 1, "judgings must be >= 1")
        require(self.obs_chars > 0 and self.details_chars > 0, "obs_chars and details_chars must be > 0")


def tooleval_passed(answer_status: str, task_status: str) -> str:
    """ToolEval's ``is_passed`` table: answer status × task status → Passed/Failed/Unsure.

    >>> tooleval_passed("Solved", "Solvable"), tooleval_passed("Unsolved", "Unsolvable")
    ('Passed', 'Passed')
    >>> tooleval_passed("Unsure", "Solvable"), tooleval_passed("Unsolved", "Solvable")
    ('Unsure', 'Failed')
    """
    if answer_status == VerdictLabel.SOLVED:
        return "Passed"
    if task_status == "Unsolvable":
        return "Passed"
    if answer_status == VerdictLabel.UNSOLVED and task_status == "Solvable":
        return "Failed"
    if answer_status in (VerdictLabel.UNSOLVED, VerdictLabel.UNSURE) and task_status in ("Solvable", "Unsure"):
        return "Unsure"
    return "Failed"


def rule_verdict(trajectory: Trajectory, judging: int = 0, judge: str = "rules") -> Verdict | None:
    """The rule verdict of a trajectory, or ``None`` when the LLM must judge."""
    reason = rule_reason(trajectory)
    if reason is None:
        return None
    return Verdict(trajectory.query_id, VerdictLabel.UNSOLVED, reason, judge, {"rule": reason}, judging, by_rule=True)


def _judge_name(asker: StructuredAsker) -> str:
    desc = asker.judge_id
    return f"{desc.get('backend', '')}:{desc.get('name', '')}"


def judge_one(
    asker: StructuredAsker | None, trajectory: Trajectory, judging: int = 0, config: PassConfig = PassConfig()
) -> Verdict:
    """One pass verdict for one trajectory."""
    by_rule = rule_verdict(trajectory, judging)
    if by_rule is not None:
        if config.solvability_check:
            by_rule.raw["passed"] = "Failed"
        return by_rule
    if asker is None:
        return Verdict(trajectory.query_id, VerdictLabel.UNJUDGED, "no judge model given", "rules", None, judging)
    raw: dict[str, Any] = {}
    answer = asker.ask(CHECK_ANSWER, {"query": trajectory.query, "answer": trajectory.final_answer}, judging=judging)
    raw["check_answer_status"] = _record(answer)
    if answer.value == VerdictLabel.UNSURE:
        details = answer_details(trajectory, obs_limit=config.obs_chars, total_limit=config.details_chars)
        variables = {"query": trajectory.query, "answer": trajectory.final_answer, "answer_details": details}
        answer = asker.ask(PARSE_ANSWER, variables, judging=judging)
        raw["parse_answer_status"] = _record(answer)
    label = answer.value if answer.value is not None else VerdictLabel.ERROR
    if config.solvability_check:
        raw.update(_solvability(asker, trajectory, label, judging))
    return Verdict(trajectory.query_id, label, answer.reason or answer.error, _judge_name(asker), raw, judging)


def _solvability(asker: StructuredAsker, trajectory: Trajectory, label: str, judging: int) -> dict[str, Any]:
    """ToolEval's solvability check (only when the answer is not Solved)."""
    if label == VerdictLabel.SOLVED:
        return {"task_status": "Solvable", "passed": "Passed"}
    tools = [_tool_brief(t) for t in trajectory.tools]
    task = asker.ask(TASK_SOLVABLE, {"query": trajectory.query, "tools": tools}, judging=judging)
    status = task.value or VerdictLabel.UNSURE
    answer_status = label if label != VerdictLabel.ERROR else VerdictLabel.UNSURE
    passed = tooleval_passed(answer_status, status)
    return {"check_task_solvable": _record(task), "task_status": status, "passed": passed}


def _tool_brief(tool: dict[str, Any]) -> dict[str, str]:
    fn = tool.get("function", tool)
    return {"name": str(fn.get("name", "")), "description": str(fn.get("description", ""))[:300]}


def _record(answer: Answer) -> dict[str, Any]:
    return {"value": answer.value, "reason": answer.reason, "error": answer.error, "reply": answer.raw,
            "cached": answer.cached}


def judge_pass(
    trajectories: Sequence[Trajectory], asker: StructuredAsker | None, config: PassConfig = PassConfig()
) -> list[Verdict]:
    """Pass verdicts for every trajectory and judging, ordered by judging then input order."""
    jobs = [(judging, t) for judging in range(config.judgings) for t in trajectories]

    def run(job: tuple[int, Trajectory]) -> Verdict:
        return judge_one(asker, job[1], job[0], config)

    verdicts = asker.map(run, jobs) if asker is not None else [run(j) for j in jobs]
    logger.debug("pass judge: %d verdicts (%d by rule)", len(verdicts), sum(v.by_rule for v in verdicts))
    return verdicts
