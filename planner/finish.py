"""The ``Finish`` pseudo-function: handled by the planner, never by an executor.

Observations and status codes are ToolBench's (``rapidapi.py``), so a search reacts to
them exactly as ToolBench's does: ``give_answer`` → ``FINISH`` (3, the search ends),
``give_up_and_restart`` → ``GIVE_UP`` (4, the branch is abandoned), anything else →
``INVALID_INPUT`` (2, the model sees the error and goes on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolbench.calls import FINISH, GIVE_ANSWER, GIVE_UP, parse_finish_arguments
from toolbench.types import Observation, ObservationStatus, Provenance, ToolCall

TOOLBENCH_DESCRIPTION = (
    "If you think you get the result which can answer the task, call this function to give the final answer. "
    "Or, if you think you can't handle the task from this status, call this function to restart. Remember: you "
    "should ALWAYS call this function at the end of your try, and the final answer is the ONLY part that will be "
    "showed to user, so final answer should contain enough information."
)
STABLETOOLBENCH_DESCRIPTION = (
    "If you believe that you have obtained a result that can answer the task, please call this function to provide "
    "the final answer. Alternatively, if you recognize that you are unable to proceed with the task in the current "
    "state, call this function to restart. Remember: you must ALWAYS call this function at the end of your attempt, "
    "and the only part that will be shown to the user is the final answer, so it should contain sufficient "
    "information."
)
DEFAULT_DESCRIPTION = (
    "Call this when you are done. return_type 'give_answer' with a complete final_answer (the only text the user "
    "sees), or 'give_up_and_restart' when the task cannot be solved from the current state."
)
COMPACT_DESCRIPTION = "End the task: give_answer with the final_answer, or give_up_and_restart."
ANSWER_OK = '{"response":"successfully giving the final answer."}'
GAVE_UP = '{"response":"chose to give up and restart"}'
NO_RETURN_TYPE = '{error:"must have "return_type""}'
NO_FINAL_ANSWER = '{error:"must have "final_answer""}'
BAD_RETURN_TYPE = '{error:""return_type" is not a valid choice"}'


def finish_tool(variant: str = "toolbench") -> dict[str, Any]:
    """The ``Finish`` function schema (ToolBench's wording for the ``toolbench`` variant).

    >>> finish_tool()["function"]["parameters"]["required"]
    ['return_type']
    """
    description = {"toolbench": TOOLBENCH_DESCRIPTION, "stabletoolbench": STABLETOOLBENCH_DESCRIPTION,
                   "compact": COMPACT_DESCRIPTION}.get(variant, DEFAULT_DESCRIPTION)
    return {"type": "function", "function": {
        "name": FINISH,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {
                "return_type": {"type": "string", "enum": [GIVE_ANSWER, GIVE_UP]},
                "final_answer": {
                    "type": "string",
                    "description": 'The final answer you want to give the user. You should have this field if '
                                   '"return_type"=="give_answer"',
                },
            },
            "required": ["return_type"],
        },
    }}


@dataclass(frozen=True)
class FinishOutcome:
    """What a ``Finish`` call did."""

    observation: Observation
    return_type: str = ""
    final_answer: str = ""

    @property
    def answered(self) -> bool:
        return self.observation.status == ObservationStatus.FINISH

    @property
    def gave_up(self) -> bool:
        return self.observation.status == ObservationStatus.GIVE_UP


def handle_finish(call: ToolCall) -> FinishOutcome:
    """Evaluate a ``Finish`` call.

    >>> handle_finish(ToolCall("c", "Finish", {"return_type": "give_answer", "final_answer": "42"})).final_answer
    '42'
    >>> handle_finish(ToolCall("c", "Finish", {"final_answer": "42"})).observation.status.name
    'INVALID_INPUT'
    """
    data = parse_finish_arguments(call.arguments)
    return_type = data.get("return_type")

    def obs(content: str, status: ObservationStatus) -> Observation:
        return Observation(call.id, content, status=status, provenance=Provenance.NONE, name=FINISH,
                           error="" if status in (ObservationStatus.FINISH, ObservationStatus.GIVE_UP) else content)

    if return_type is None:
        return FinishOutcome(obs(NO_RETURN_TYPE, ObservationStatus.INVALID_INPUT))
    if return_type == GIVE_UP:
        return FinishOutcome(obs(GAVE_UP, ObservationStatus.GIVE_UP), GIVE_UP)
    if return_type == GIVE_ANSWER:
        if "final_answer" not in data:
            return FinishOutcome(obs(NO_FINAL_ANSWER, ObservationStatus.INVALID_INPUT), GIVE_ANSWER)
        return FinishOutcome(obs(ANSWER_OK, ObservationStatus.FINISH), GIVE_ANSWER, str(data["final_answer"]))
    return FinishOutcome(obs(BAD_RETURN_TYPE, ObservationStatus.INVALID_INPUT), str(return_type))

