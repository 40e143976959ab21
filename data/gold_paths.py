"""Gold solution paths: run a query's known call chain with the real tools.

For instructions with ``extra["gold_calls"]`` (the built-in world, template instructions)
a training set exists without any teacher model: each gold call is executed by the real
executor, the observations are recorded, and the path ends with
``Finish(give_answer, final_answer)``. Calls are written as a schema-constrained decoder
writes them (arguments in sorted key order), by default
without a thought before them; ``thoughts="plan"`` opens the path with one line naming
every call (``Plan: mean, then prime_factors.``), which the ``hf`` backend's constrained
calls allow (``thought``), so the training text is what the tuned model produces. With answer keys the
final answer names each value as its tool did (``mean: 25.0; prime_factors: [5, 5]``),
which a small model copies from the observations. The opening messages and tool schemas come from
an ``opening`` function — the planner's own prompt builder in ``toolbench data gold``
(``data`` never imports ``planner``), so the training text is exactly what the planner
shows the model at inference. A gold call that fails gives a trajectory with
``finish_reason = error``; SFT conversion drops it (solved paths only).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from toolbench.calls import FINISH, GIVE_ANSWER
from toolbench.config import save_config
from toolbench.errors import InputError
from toolbench.protocols import Executor
from toolbench.store.runs import RunDir
from toolbench.types import (
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    Query,
    Step,
    ToolCall,
    Trajectory,
    Usage,
)

logger = logging.getLogger(__name__)

Opening = Callable[[Query], tuple[list[Message], list[dict[str, Any]]]]
GOLD_METHOD = "gold"


def gold_calls(query: Query) -> list[ToolCall]:
    """The ordered gold calls of ``query`` (``extra["gold_calls"]``) as :class:`ToolCall` s.

    >>> gold_calls(Query("1", "q", extra={"gold_calls": [{"name": "f", "arguments": {"x": 1}}]}))
    [ToolCall(id='call_0', name='f', arguments={'x': 1})]
    """
    raw = query.extra.get("gold_calls")
    if not isinstance(raw, list) or not raw:
        raise InputError("query has no extra.gold_calls list", record=query.query_id, field="extra.gold_calls")
    calls = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError("a gold call needs a 'name'", record=query.query_id, field=f"extra.gold_calls[{i}]")
        calls.append(ToolCall(f"call_{i}", item["name"], dict(item.get("arguments") or {})))
    return calls


def answer_text(value: Any) -> str:
    """An expected answer written as a final answer.

    >>> answer_text(True), answer_text([2, 3.5, "x"]), answer_text({"any_of": ["a", "b"]}), answer_text(None)
    ('yes', '2, 3.5 and x', 'a', '')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and value.get("any_of"):
        return answer_text(value["any_of"][0])
    if isinstance(value, list):
        parts = [answer_text(v) for v in value]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return "" if value is None else str(value)


def value_text(value: Any) -> str:
    """A response value as it reads in a final answer: strings bare, the rest as JSON.

    >>> value_text("Paris"), value_text(True), value_text([5, 5]), value_text(1.5)
    ('Paris', 'true', '[5, 5]', '1.5')
    """
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def final_answer(query: Query, observations: list[Observation]) -> str:
    """The gold final answer: ``key: value`` per call when the answer keys are known, else
    the expected answers, else the last observation.

    >>> final_answer(Query("1", "q", extra={"gold_answers": [25.0, [5, 5]],
    ...                                     "answer_keys": ["mean", "prime_factors"]}), [])
    'mean: 25.0; prime_factors: [5, 5]'
    """
    answers = query.extra.get("gold_answers")
    keys = query.extra.get("answer_keys")
    if isinstance(answers, list) and answers and isinstance(keys, list) and len(keys) == len(answers):
        pairs = zip(keys, answers, strict=True)
        return "; ".join(f"{str(key).rsplit('.', 1)[-1]}: {value_text(a)}" for key, a in pairs)
    if isinstance(answers, list) and answers:
        return "; ".join(answer_text(a) for a in answers)
    if query.expected_answer is not None:
        return answer_text(query.expected_answer)
    return observations[-1].content if observations else ""


THOUGHT_STYLES = ("none", "steps", "plan")


def thought_for(calls: list[ToolCall], index: int, style: str) -> str | None:
    """The deterministic thought before gold call ``index`` in ``style``: ``none``, ``steps``
    (one line before every call) or ``plan`` (one line before the first call naming every
    call in order, so a small model reads from its own first turn whether to go on or finish).

    >>> calls = [ToolCall("a", "mean", {}), ToolCall("b", "is_prime", {"n": 7})]
    >>> thought_for(calls, 0, "steps"), thought_for(calls, 1, "steps")
    ('Step 1 of 2: call mean.', 'Step 2 of 2: call is_prime.')
    >>> thought_for(calls, 0, "plan"), thought_for(calls, 1, "plan"), thought_for(calls, 0, "none")
    ('Plan: mean, then is_prime.', None, None)
    """
    if style == "steps":
        return f"Step {index + 1} of {len(calls)}: call {calls[index].name}."
    if style == "plan" and index == 0:
        return "Plan: " + ", then ".join(c.name for c in calls) + "."
    if style not in THOUGHT_STYLES:
        raise ValueError(f"thought style must be one of {THOUGHT_STYLES}, not {style!r}")
    return None


def sorted_arguments(call: ToolCall) -> ToolCall:
    """``call`` with its arguments in sorted key order: the canonical JSON of run files and
    SFT data, and the order of the constrained call grammar.

    >>> list(sorted_arguments(ToolCall("c", "f", {"b": 2, "a": 1})).arguments)
    ['a', 'b']
    """
    return ToolCall(call.id, call.name, dict(sorted(call.arguments.items())))


def gold_trajectory(query: Query, executor: Executor, opening: Opening, thoughts: str = "none") -> Trajectory:
    """The gold solution path of ``query`` (see the module docstring); ``thoughts`` is the
    style of the deterministic thoughts before calls (see :func:`thought_for`)."""
    messages, tools = opening(query)
    messages = list(messages)
    calls = [sorted_arguments(c) for c in gold_calls(query)]
    steps: list[Step] = []
    started = time.perf_counter()
    for index, call in enumerate(calls):
        thought = thought_for(calls, index, thoughts)
        observation = executor.call(call)
        messages.append(Message("assistant", thought, [call]))
        messages.append(Message("tool", observation.content, tool_call_id=call.id, name=call.name))
        steps.append(Step(thought or "", call, observation))
        if not observation.ok:
            return _trajectory(query, messages, tools, steps, started, error=f"{call.name}: {observation.error}")
    answer = final_answer(query, [s.observation for s in steps if s.observation])
    finish = ToolCall(f"call_{len(calls)}", FINISH, {"return_type": GIVE_ANSWER, "final_answer": answer})
    thought = "I have all the information I need." if thoughts == "steps" else None
    messages.append(Message("assistant", thought, [finish]))
    steps.append(Step(thought or "", finish, Observation(finish.id, "", status=ObservationStatus.FINISH,
                                                         name=FINISH)))
    return _trajectory(query, messages, tools, steps, started, answer=answer)


def _trajectory(query: Query, messages: list[Message], tools: list[dict[str, Any]], steps: list[Step],
                started: float, *, answer: str = "", error: str = "") -> Trajectory:
    api_calls = sum(1 for s in steps if s.action is not None and s.action.name != FINISH)
    return Trajectory(
        query_id=query.query_id, query=query.query, method=GOLD_METHOD, api_ids=list(query.api_ids),
        tools=list(tools), messages=messages, steps=steps,
        finish_reason=FinishReason.ERROR if error else FinishReason.GIVE_ANSWER, final_answer=answer,
        usage=Usage(api_calls=api_calls, seconds=round(time.perf_counter() - started, 6)),
        config={"method": GOLD_METHOD}, model=GOLD_METHOD, error=error,
    )


def gold_trajectories(queries: Iterable[Query], executor: Executor, opening: Opening,
                      thoughts: str = "none",
                      on_path: Callable[[Trajectory], None] | None = None) -> list[Trajectory]:
    """Gold paths for every query that has gold calls (others are skipped and logged);
    ``on_path`` is called with each path as it is made (progress displays)."""
    queries = list(queries)
    repeated = sorted(qid for qid, n in Counter(q.query_id for q in queries).items() if n > 1)
    if repeated:  # one result file per id: a repeat would silently replace the other's path
        raise InputError(f"query id {repeated[0]!r} appears more than once; query ids must be unique")
    out = []
    for query in queries:
        if not query.extra.get("gold_calls"):
            logger.warning("query %s has no gold calls; skipped", query.query_id)
            continue
        trajectory = gold_trajectory(query, executor, opening, thoughts)
        if trajectory.error:
            logger.warning("gold path of %s failed: %s", query.query_id, trajectory.error)
        out.append(trajectory)
        if on_path is not None:
            on_path(trajectory)
    return out


def simple_opening(catalog: Any, finish_tool: dict[str, Any], system: str = "") -> Opening:
    """An ``opening`` from a catalog: optional system text, the query as the user turn,
    the offered APIs' OpenAI schemas plus ``finish_tool`` (for tests and non-planner use)."""

    def opening(query: Query) -> tuple[list[Message], list[dict[str, Any]]]:
        messages = ([Message("system", system)] if system else []) + [Message("user", query.query)]
        return messages, catalog.openai_tools(query.api_ids) + [finish_tool]

    return opening


def write_gold_run(out: str | Path, trajectories: list[Trajectory], prompt: str, queries_file: str) -> Path:
    """Write gold paths as a run directory (``results/``, ``trajectories.jsonl``, ``config.json``);
    ``prompt`` is the planner prompt variant the paths are written in."""
    run = RunDir(out)
    with run.lock():  # another process writing this run gets a one-line error
        for trajectory in trajectories:
            trajectory.config = {**trajectory.config, "prompt": prompt}
            run.write_result(trajectory)
        run.merge()
        save_config(out, {"method": GOLD_METHOD, "prompt": prompt, "queries": queries_file})
    return run.path
