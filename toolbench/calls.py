"""Function-call conventions every package shares: raw argument text and ToolBench's ``Finish``.

A model's arguments that are not a JSON object are kept as ``{"_raw": text}``
(:func:`parse_arguments`) and written back as the model wrote them
(:func:`arguments_text`). ToolBench ends a solution path with a call to the ``Finish``
function, ``return_type`` being ``give_answer`` (with ``final_answer``) or
``give_up_and_restart``; the planner, the result-file formats and the judges all read it
the same way (:func:`parse_finish_arguments`, :func:`final_answer_text`).
"""

from __future__ import annotations

import json
from typing import Any

from toolbench.jsonutil import dumps_compact

FINISH = "Finish"
GIVE_ANSWER = "give_answer"
GIVE_UP = "give_up_and_restart"
RAW_ARGUMENTS = "_raw"


def parse_arguments(text: Any) -> dict[str, Any]:
    """Function-call arguments as a dict; unparsable text is kept under ``_raw``.

    >>> parse_arguments('{"q": "x"}')
    {'q': 'x'}
    >>> parse_arguments('{"q": ')
    {'_raw': '{"q": '}
    >>> parse_arguments({"a": 1})
    {'a': 1}
    """
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}", strict=False)
    except (json.JSONDecodeError, TypeError):
        return {RAW_ARGUMENTS: text}
    return value if isinstance(value, dict) else {RAW_ARGUMENTS: text}


def arguments_text(arguments: dict[str, Any]) -> str:
    """The arguments as the model wrote them (``_raw``) or as compact JSON.

    >>> arguments_text({"_raw": "{bad"}), arguments_text({"a": 1})
    ('{bad', '{"a":1}')
    """
    if set(arguments) == {RAW_ARGUMENTS}:
        return str(arguments[RAW_ARGUMENTS])
    return dumps_compact(arguments)


def parse_finish_arguments(text: str | dict[str, Any]) -> dict[str, Any]:
    """Parse ``Finish`` arguments the way ToolBench's ``rapidapi.py`` does.

    Invalid JSON falls back to substring search for ``"return_type": "`` and
    ``"final_answer": "`` (the final answer is then the rest of the text).

    >>> parse_finish_arguments('{"return_type": "give_answer", "final_answer": "42"}')
    {'return_type': 'give_answer', 'final_answer': '42'}
    >>> parse_finish_arguments('{"return_type": "give_answer", "final_answer": "4')
    {'return_type': 'give_answer', 'final_answer': '4'}
    """
    if isinstance(text, dict):
        return dict(text) if RAW_ARGUMENTS not in text else parse_finish_arguments(str(text[RAW_ARGUMENTS]))
    try:
        data = json.loads(text, strict=False)
        if isinstance(data, dict):
            return data
    except json.JSONDecodeError:
        pass
    data = {}
    marker = '"return_type": "'
    if marker in text:
        if f'{marker}{GIVE_ANSWER}"' in text:
            data["return_type"] = GIVE_ANSWER
        elif f'{marker}{GIVE_UP}"' in text:
            data["return_type"] = GIVE_UP
        else:
            data["return_type"] = text[text.find(marker) + len(marker) : text.find('",')]
    answer = '"final_answer": "'
    if answer in text:
        data["final_answer"] = text[text.find(answer) + len(answer) :]
    return data


def final_answer_text(raw: str) -> tuple[str, str]:
    """(return_type, final answer) from a ToolBench ``final_answer`` field.

    ToolBench stores the whole ``Finish`` argument text; plain text is taken as the answer.

    >>> final_answer_text('{"return_type": "give_answer", "final_answer": "Paris"}')
    ('give_answer', 'Paris')
    >>> final_answer_text('')
    ('', '')
    """
    if not raw or not raw.strip():
        return "", ""
    data = parse_finish_arguments(raw)
    if "return_type" not in data and "final_answer" not in data:
        return GIVE_ANSWER, raw
    return str(data.get("return_type", "")), str(data.get("final_answer", "") or "")
