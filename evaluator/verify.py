"""Verify solution paths before they become training data (self-training, rejection sampling).

A path is kept only when every check passes, in this order (the first failure is the reason
it was rejected):

1. **finished**: it ends with ``Finish(give_answer)`` and a non-empty answer (ToolEval's
   rules, :func:`evaluator.rules.rule_reason`), after at least one successful tool call;
2. **no repeated failure**: no call (same function, same arguments) is made again after it failed;
3. **grounded**: no value the answer names by a response key (``mean: 30``, ``the mean is
   30``) differs from every value that key had in a successful observation (numbers with
   numbers, booleans with booleans); every number in the answer was produced by a tool or
   given in the query; and the answer carries a value a tool produced (with a known expected
   answer: the expected value itself is among the produced values). *Produced* means in a
   successful observation's response and not an echo of that call's own arguments, so a
   number the model invented, even one it passed to a tool that echoed it, grounds nothing.
   Numbers compare as values (25.0 = 25, 1,234 = 1234, rounding to the decimals shown, the
   sign may be dropped in prose, ``18:00`` also reads 6);
4. **not stale**: an answer does not keep a number an earlier call of a function gave when the
   last call of that function (the last relevant observation) gave others and the answer
   states none of them (``212`` after a corrected call said ``211`` is rejected), and an
   answer opening with yes/no agrees with the path's boolean when it produced exactly one;
5. **checked**: where the expected answer is known, the exact check passes
   (:func:`evaluator.exact.matches`); otherwise a pass verdict of an LLM judge decides when one
   is given, else the rules above do.

The checks are deliberately conservative: a right answer that computes a number no tool
returned is rejected. Kept paths record why (``exact+grounded``, ``grounded+pass-rules``,
``grounded+pass-judge``). :func:`verify_paths` also drops duplicates: the same instruction
solved with the same call sequence and the same answer.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evaluator.exact import ExactConfig, matches, normalise_text, number_matches, numbers_in
from evaluator.rules import rule_reason
from toolbench.calls import FINISH
from toolbench.jsonutil import canonical_json
from toolbench.types import Query, Step, Trajectory, Verdict, VerdictLabel

KEPT_EXACT = "exact+grounded"
KEPT_RULES = "grounded+pass-rules"
KEPT_JUDGE = "grounded+pass-judge"
_STOPWORDS = frozenset({
    "the", "and", "for", "that", "this", "with", "from", "are", "was", "were", "has", "have", "had", "its", "into",
    "than", "then", "there", "their", "what", "which", "who", "whom", "whose", "when", "where", "how", "why",
    "answer", "result", "results", "final", "value", "values"})
_CLOCK = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")
_YES, _NO = {"yes", "true"}, {"no", "false"}


@dataclass(frozen=True)
class PathCheck:
    """The outcome for one path: kept or not, and why."""

    query_id: str
    kept: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Evidence:
    """What a path's successful calls produced: values (not echoes of their arguments), the
    numbers as ``(value, decimals)``, the booleans, their text, and every response value by key."""

    numbers: list[tuple[float, int]]
    booleans: list[bool]
    text: str
    keys: dict[str, list[Any]]
    echoed: str = ""  # strings the calls echoed back (a reversed palindrome is its own result)


# ------------------------------------------------------------------ the parts of a path

def tool_steps(trajectory: Trajectory) -> list[Step]:
    """The path's tool calls with their observations (``Finish`` left out)."""
    return [s for s in trajectory.steps
            if s.action is not None and s.observation is not None and s.action.name != FINISH]


def call_key(step: Step) -> str:
    """A call's identity: its function and canonical arguments.

    >>> from toolbench.types import ToolCall
    >>> call_key(Step(action=ToolCall("c1", "f", {"b": 1, "a": 2})))
    'f{"a":2,"b":1}'
    """
    assert step.action is not None
    return step.action.name + canonical_json(step.action.arguments)


def repeated_failed_call(trajectory: Trajectory) -> str | None:
    """The first call made again after the same call failed, or ``None``."""
    failed: set[str] = set()
    for step in tool_steps(trajectory):
        key = call_key(step)
        if key in failed:
            return key
        if step.observation is not None and not step.observation.ok:
            failed.add(key)
    return None


def response_value(step: Step) -> Any:
    """The response of a successful call: ``observation.response``, else the ``response``
    field of JSON content, else the content text.

    >>> from toolbench.types import Observation
    >>> response_value(Step(observation=Observation("c", '{"error": "", "response": {"result": 4}}')))
    {'result': 4}
    """
    observation = step.observation
    assert observation is not None
    if observation.response is not None:
        return observation.response
    try:
        data = json.loads(observation.content)
    except (json.JSONDecodeError, TypeError):
        return observation.content
    return data.get("response", data) if isinstance(data, dict) else data


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """``(key, scalar)`` for every scalar in a response; JSON inside strings is opened.

    >>> list(leaves({"count": 2, "items": [{"name": "a"}], "raw": '{"ok": true}'}))
    [('count', 2), ('name', 'a'), ('ok', True)]
    """
    if isinstance(value, str) and value[:1] in "{[":
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, str(name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item, key)
    elif value is not None:
        yield key, value


def numbers_of(text: str) -> list[tuple[float, int]]:
    """Numbers in ``text`` (see :func:`evaluator.exact.numbers_in`), a 24-hour clock time's
    hour also in 12-hour form.

    >>> numbers_of("at 18:30, 1,250.0 km")
    [(18.0, 0), (30.0, 0), (1250.0, 1), (6.0, 0)]
    """
    found = numbers_in(text)
    for match in _CLOCK.finditer(text):
        hour = int(match.group(1))
        if hour > 12:
            found.append((float(hour - 12), 0))
    return found


def supported(value: float, decimals: int, pool: Sequence[tuple[float, int]], config: ExactConfig) -> bool:
    """Whether a number read in an answer is one of ``pool`` (rounded as shown; sign may drop).

    >>> supported(25.0, 1, [(25.0, 0)], ExactConfig()), supported(43.5, 1, [(-43.46, 2)], ExactConfig())
    (True, True)
    >>> supported(213.0, 0, [(212.0, 0)], ExactConfig())
    False
    """
    return any(number_matches(value, decimals, p, config) or number_matches(abs(value), decimals, abs(p), config)
               for p, _ in pool)


def _scalar_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _echoes(arguments: dict[str, Any]) -> dict[str, list[Any]]:
    """The values of each argument by name (what a response may echo back)."""
    echoes: dict[str, list[Any]] = {}
    for name, value in arguments.items():
        echoes.setdefault(str(name), []).extend(v for _, v in leaves(value))
        echoes[str(name)].append(value)
    return echoes


def step_evidence(step: Step, config: ExactConfig = ExactConfig()) -> Evidence:
    """What one successful call produced: the response's values except echoes of the call's
    own arguments (a value under an argument's name equal to that argument's value; an echoed
    string still counts as text, its numbers do not). A response without structure (plain
    text) loses every number that was in the arguments.

    >>> from toolbench.types import Observation, ToolCall
    >>> step = Step(action=ToolCall("c", "describe", {"numbers": [4, 82], "value": 7}),
    ...             observation=Observation("c", "", response={"value": 7, "max": 82, "ok": True}))
    >>> e = step_evidence(step)
    >>> e.numbers, e.booleans, e.keys
    ([(82.0, 0)], [True], {'value': [7], 'max': [82], 'ok': [True]})
    """
    assert step.action is not None
    echoes = _echoes(step.action.arguments)
    given_numbers = numbers_of(" ; ".join(_scalar_text(v) for values in echoes.values() for v in values))
    numbers: list[tuple[float, int]] = []
    booleans: list[bool] = []
    texts: list[str] = []
    echoed_texts: list[str] = []
    keys: dict[str, list[Any]] = {}
    for key, value in leaves(response_value(step)):
        keys.setdefault(key, []).append(value)
        echoed = key in echoes and value in echoes[key]
        if echoed and isinstance(value, str):
            echoed_texts.append(value)
        if echoed:
            continue
        if isinstance(value, bool):
            booleans.append(value)
            continue
        found = numbers_of(_scalar_text(value))
        if not key:  # plain text: no names to tell an echo by
            found = [(v, d) for v, d in found if not any(number_matches(v, d, g, config) for g, _ in given_numbers)]
        numbers += found
        texts.append(_scalar_text(value))
    return Evidence(numbers, booleans, " ; ".join(texts), keys, " ; ".join(echoed_texts))


def produced(expected: Any, evidence: Evidence, config: ExactConfig = ExactConfig()) -> bool:
    """Whether the tools produced the expected answer: booleans among the produced booleans,
    numbers among the produced numbers, strings found in the produced or echoed text (as
    :func:`evaluator.exact.matches` finds them: reversing 'noon' gives 'noon'), every element of a list.

    >>> produced([663, False, "Paris"], Evidence([(663.0, 0)], [False], "Paris", {}))
    True
    >>> produced({"any_of": ["Paris", "Lyon"]}, Evidence([], [], "Marseille", {}))
    False
    >>> produced(7, Evidence([], [], "7", {}))  # numbers must be produced as numbers
    False
    """
    if isinstance(expected, bool):
        return expected in evidence.booleans
    if isinstance(expected, (int, float)):
        return any(number_matches(v, d, float(expected), config) for v, d in evidence.numbers)
    if isinstance(expected, dict) and "any_of" in expected:
        return any(produced(e, evidence, config) for e in expected["any_of"])
    if isinstance(expected, (list, tuple)):
        return bool(expected) and all(produced(e, evidence, config) for e in expected)
    return matches(evidence.text, expected, config) or matches(evidence.echoed, expected, config)


def path_evidence(trajectory: Trajectory, config: ExactConfig = ExactConfig()) -> Evidence:
    """What all successful calls of the path produced together."""
    parts = [step_evidence(s, config) for s in tool_steps(trajectory) if s.observation and s.observation.ok]
    keys: dict[str, list[Any]] = {}
    for part in parts:
        for key, values in part.keys.items():
            keys.setdefault(key, []).extend(values)
    return Evidence([n for p in parts for n in p.numbers], [b for p in parts for b in p.booleans],
                    " ; ".join(p.text for p in parts if p.text), keys, " ; ".join(p.echoed for p in parts if p.echoed))


# ------------------------------------------------------------------ checks

def _key_pattern(key: str) -> re.Pattern[str]:
    words = r"[\s_]+".join(re.escape(w) for w in key.lower().replace("_", " ").split())
    value = r"(?P<v>[-+−]?\d[\d,]*(?:\.\d+)?|true|false|yes|no)(?![\w/:-])"
    return re.compile(rf"(?<![\w]){words}(?:\s*[:=]\s*|\s+(?:is|was|equals|are)\s+)(?:about\s+)?{value}")


def key_contradiction(answer: str, evidence: Evidence, config: ExactConfig = ExactConfig()) -> str | None:
    """A value the answer gives for a response key that the key never had, or ``None``.

    >>> e = Evidence([], [], "", {"mean": [25.0], "prime": [False]})
    >>> key_contradiction("The mean is 30.", e)
    'the answer says mean 30 but the tools gave 25.0'
    >>> key_contradiction("mean: 25; prime: false", e) is None
    True
    """
    text = answer.lower()
    for key, values in evidence.keys.items():
        if len(key) < 3:
            continue
        numeric = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(numeric) + sum(isinstance(v, bool) for v in values) < len(values):
            numeric = []  # the key also held text (a date, a name): no numeric comparison
        flags = [v for v in values if isinstance(v, bool)]
        for match in _key_pattern(key).finditer(text):
            said = match.group("v")
            if said in _YES | _NO:
                if flags and (said in _YES) not in flags:
                    return f"the answer says {key} {said} but the tools gave {json.dumps(flags[-1])}"
                continue
            read = numbers_in(said)
            if numeric and read and not supported(*read[0], [(v, 0) for v in numeric], config):
                return f"the answer says {key} {said} but the tools gave {_scalar_text(values[-1])}"
    return None


def stale_value(answer: str, trajectory: Trajectory, config: ExactConfig = ExactConfig()) -> str | None:
    """The answer keeps a number an earlier call of a function gave, while the last call of
    that function (the last relevant observation) gave others, none of which the answer
    states; or it opens with yes/no against the only boolean the path produced. ``None`` if not.

    >>> from toolbench.types import Observation, ToolCall
    >>> def calc(expression, result):
    ...     return Step(action=ToolCall("c", "calc", {"expression": expression}),
    ...                 observation=Observation("c", "", response={"result": result}))
    >>> t = Trajectory("1", "q", "m", steps=[calc("69 + 143", 212), calc("69 + 142", 211)])
    >>> stale_value("It is 212.", t)
    'the answer keeps 212 from an earlier calc call; the last one returned 211'
    >>> stale_value("It is 211.", t) is None
    True
    """
    done = [s for s in tool_steps(trajectory) if s.observation is not None and s.observation.ok]
    stated = numbers_of(answer)
    calls: dict[str, list[Evidence]] = {}
    for step in done:
        calls.setdefault(step.action.name if step.action else "?", []).append(step_evidence(step, config))
    others = {name: [n for other, found in calls.items() if other != name for e in found for n in e.numbers]
              for name in calls}
    for name, found in calls.items():
        last = found[-1].numbers
        if len(found) < 2 or not last or any(supported(*n, last, config) for n in stated):
            continue
        earlier = [n for e in found[:-1] for n in e.numbers]
        for value, decimals in stated:
            if supported(value, decimals, earlier, config) and not supported(value, decimals, others[name], config):
                shown = ", ".join(f"{v:g}" for v, _ in last[:3])
                return f"the answer keeps {value:g} from an earlier {name} call; the last one returned {shown}"
    flags = [b for e in calls.values() for found in e for b in found.booleans]
    words = normalise_text(answer).split()
    if len(flags) == 1 and words and words[0] in _YES | _NO and (words[0] in _YES) != flags[0]:
        return f"the answer opens with {words[0]!r} but the tools returned {json.dumps(flags[0])}"
    return None


def _content_tokens(text: str) -> set[str]:
    return {w for w in normalise_text(text).split() if len(w) >= 3 and w not in _STOPWORDS}


def grounding_problem(answer: str, query: str, evidence: Evidence, expected: Any = None,
                      config: ExactConfig = ExactConfig()) -> str | None:
    """Why the answer is not grounded in what the tools produced, or ``None`` (see the module
    docstring, check 3; the key check is :func:`key_contradiction`).

    >>> e = Evidence([(212.0, 0)], [], "212", {"result": [212]})
    >>> grounding_problem("143 + 69 = 212", "Add 143 to 69.", e) is None
    True
    >>> grounding_problem("The answer is 213.", "Add 143 to 69.", e)
    'the answer states 213, which no tool produced'
    """
    given = numbers_of(query)
    for value, decimals in numbers_of(answer):
        if not supported(value, decimals, evidence.numbers, config) and not supported(value, decimals, given, config):
            return f"the answer states {value:g}, which no tool produced"
    if expected is not None:
        return None if produced(expected, evidence, config) else f"no tool produced the expected value {expected!r}"
    if any(supported(v, d, evidence.numbers, config) for v, d in numbers_of(answer)):
        return None
    if _content_tokens(answer) & _content_tokens(evidence.text):
        return None
    words = normalise_text(answer).split()
    if evidence.booleans and words and words[0] in _YES | _NO:
        return None
    return "the answer carries no value a tool produced"


# ------------------------------------------------------------------ paths

def verify_path(trajectory: Trajectory, query: Query | None = None, verdict: Verdict | None = None,
                config: ExactConfig = ExactConfig()) -> PathCheck:
    """Check one path (see the module docstring); ``verdict`` is an LLM pass verdict, used
    when the expected answer is unknown."""
    qid = trajectory.query_id

    def reject(reason: str) -> PathCheck:
        return PathCheck(qid, False, reason)

    reason = rule_reason(trajectory)
    if reason is not None:
        return reject(reason)
    if not any(s.observation is not None and s.observation.ok for s in tool_steps(trajectory)):
        return reject("no successful tool call")
    if (again := repeated_failed_call(trajectory)) is not None:
        return reject(f"repeats a failed call: {again}")
    answer = trajectory.final_answer
    text = query.query if query is not None else trajectory.query
    evidence = path_evidence(trajectory, config)
    if (clash := key_contradiction(answer, evidence, config)) is not None:
        return reject(f"contradicts its tools: {clash}")
    expected = query.expected_answer if query is not None else None
    if (problem := grounding_problem(answer, text, evidence, expected, config)) is not None:
        return reject(f"ungrounded: {problem}")
    if (clash := stale_value(answer, trajectory, config)) is not None:
        return reject(f"contradicts its tools: {clash}")
    if expected is not None:
        if not matches(answer, expected, config):
            return reject(f"exact: expected {expected!r} not found in the answer")
        return PathCheck(qid, True, KEPT_EXACT)
    if verdict is not None:
        if verdict.label != VerdictLabel.SOLVED:
            return reject(f"pass judge: {verdict.label} ({verdict.reason})")
        return PathCheck(qid, True, KEPT_JUDGE)
    return PathCheck(qid, True, KEPT_RULES)


def path_key(trajectory: Trajectory) -> tuple[str, tuple[str, ...], str]:
    """What makes two paths the same: instruction, call sequence and answer (normalised).

    >>> a = Trajectory("1", "Add 1 to 2", "m", final_answer="Result: 3")
    >>> path_key(a) == path_key(Trajectory("2", "add 1 to 2!", "m", final_answer="result 3"))
    True
    """
    calls = tuple(call_key(s) for s in tool_steps(trajectory))
    return normalise_text(trajectory.query), calls, normalise_text(trajectory.final_answer)


def verify_paths(trajectories: Sequence[Trajectory], queries: Sequence[Query] = (),
                 verdicts: Mapping[str, Verdict] | None = None,
                 config: ExactConfig = ExactConfig()) -> list[PathCheck]:
    """Check every path (queries by id give expected answers and texts; ``verdicts`` by query
    id are LLM pass verdicts); a kept path identical to an earlier kept one is dropped."""
    by_id = {q.query_id: q for q in queries}
    seen: dict[tuple[str, tuple[str, ...], str], str] = {}
    checks = []
    for trajectory in trajectories:
        qid = trajectory.query_id
        check = verify_path(trajectory, by_id.get(qid), (verdicts or {}).get(qid), config)
        if check.kept:
            key = path_key(trajectory)
            if key in seen:
                check = PathCheck(qid, False, f"duplicate: the same calls and answer as {seen[key]}")
            else:
                seen[key] = qid
        checks.append(check)
    return checks


def summarise(checks: Sequence[PathCheck]) -> dict[str, Any]:
    """Counts for ``verified.json``: paths, kept, and kept/rejected by reason (reasons cut
    at their first colon so like rejections count together).

    >>> summarise([PathCheck("1", True, KEPT_EXACT), PathCheck("2", False, "ungrounded: the answer states 9")])
    {'paths': 2, 'kept': 1, 'kept_by': {'exact+grounded': 1}, 'rejected_by': {'ungrounded': 1}}
    """
    kept: dict[str, int] = {}
    rejected: dict[str, int] = {}
    for check in checks:
        bucket = kept if check.kept else rejected
        name = check.reason.split(":", 1)[0]
        bucket[name] = bucket.get(name, 0) + 1
    return {"paths": len(checks), "kept": sum(1 for c in checks if c.kept), "kept_by": kept, "rejected_by": rejected}
