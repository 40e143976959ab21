"""Turn a trajectory into the text a judge reads (bounded in size, deterministic)."""

from __future__ import annotations

from toolbench.jsonutil import dumps_compact
from toolbench.types import Step, Trajectory


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was cut.

    >>> clip("abcdef", 4)
    'abcd…[2 more characters]'
    >>> clip("abc", 4)
    'abc'
    """
    if limit <= 0 or len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters]"


def describe_step(number: int, step: Step, obs_limit: int = 1000) -> str:
    """One line per action: ``Step n: name(args) -> observation``.

    >>> from toolbench.types import ToolCall, Observation
    >>> describe_step(1, Step(action=ToolCall("c1", "add", {"a": 1}), observation=Observation("c1", "2")))
    'Step 1: add({"a":1}) -> 2'
    """
    if step.action is None:
        return f"Step {number}: (no action) {clip(step.thought, obs_limit)}".rstrip()
    call = f"{step.action.name}({dumps_compact(step.action.arguments)})"
    if step.observation is None:
        return f"Step {number}: {call}"
    obs = step.observation
    content = obs.content if not obs.error else f"ERROR {obs.error} {obs.content}".strip()
    return f"Step {number}: {call} -> {clip(content, obs_limit)}"


def answer_details(trajectory: Trajectory, *, obs_limit: int = 1000, total_limit: int = 12000) -> str:
    """The solution path as numbered steps (``(no tool calls)`` when there are none)."""
    lines = [describe_step(i, s, obs_limit) for i, s in enumerate(trajectory.steps, start=1)]
    return clip("\n".join(lines), total_limit) if lines else "(no tool calls)"


def answer_block(trajectory: Trajectory, *, obs_limit: int = 500, total_limit: int = 8000) -> str:
    """Final answer, step count and path, as shown to the win-rate judge.

    >>> print(answer_block(Trajectory("1", "q", "CoT@1", final_answer="42")))
    Final answer: 42
    Total steps: 0
    Solution path:
    (no tool calls)
    """
    details = answer_details(trajectory, obs_limit=obs_limit, total_limit=total_limit)
    final = trajectory.final_answer.strip() or "(none)"
    return f"Final answer: {final}\nTotal steps: {len(trajectory.steps)}\nSolution path:\n{details}"


def same_answer(a: Trajectory, b: Trajectory) -> bool:
    """True when two trajectories gave the same final answer along the same calls.

    >>> same_answer(Trajectory("1", "q", "x", final_answer="a"), Trajectory("1", "q", "y", final_answer="a"))
    True
    """
    return a.final_answer.strip() == b.final_answer.strip() and answer_details(a) == answer_details(b)
